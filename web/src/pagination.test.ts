import { gql } from '@apollo/client';
import { describe, expect, it } from 'vitest';
import { makeCache } from './cache';

const KEYS = gql`
  query Keys($after: String) {
    apiKeys(first: 2, after: $after) {
      edges {
        cursor
        node {
          id
          name
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
      totalCount
    }
  }
`;

const page = (names: string[], start: number, hasNextPage: boolean) => ({
  apiKeys: {
    __typename: 'ApiKeyConnection',
    edges: names.map((name, i) => ({ __typename: 'ApiKeyEdge', cursor: `c${start + i}`, node: { __typename: 'ApiKey', id: `K${start + i}`, name } })),
    pageInfo: { __typename: 'PageInfo', hasNextPage, endCursor: `c${start + names.length - 1}` },
    totalCount: 3,
  },
});

describe('connections in the cache', () => {
  it('appends the next page after the first, Relay style', () => {
    const cache = makeCache();
    cache.writeQuery({ query: KEYS, data: page(['a', 'b'], 1, true) });
    cache.writeQuery({ query: KEYS, variables: { after: 'c2' }, data: page(['c'], 3, false) });
    const all = cache.readQuery<ReturnType<typeof page>>({ query: KEYS });
    expect(all?.apiKeys.edges.map((e) => e.node.name)).toEqual(['a', 'b', 'c']);
    expect(all?.apiKeys.pageInfo.hasNextPage).toBe(false);
    expect(all?.apiKeys.totalCount).toBe(3);
  });

  it('refreshes the first page without duplicating, and keys objects by id', () => {
    const cache = makeCache();
    cache.writeQuery({ query: KEYS, data: page(['a', 'b'], 1, true) });
    cache.writeQuery({ query: KEYS, data: page(['a renamed', 'b'], 1, true) });
    const all = cache.readQuery<ReturnType<typeof page>>({ query: KEYS });
    expect(all?.apiKeys.edges.map((e) => e.node.name)).toEqual(['a renamed', 'b']);
    expect(cache.identify({ __typename: 'ApiKey', id: 'K1' })).toBe('ApiKey:K1');
    expect((cache.extract() as Record<string, { name?: string }>)['ApiKey:K1']?.name).toBe('a renamed');
  });
});
