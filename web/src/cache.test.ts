import { describe, expect, it } from 'vitest';
import { makeCache } from './cache';
import { SessionQuery, ViewerQuery } from './session';

const user = { __typename: 'User', id: 'VXNlcjox', email: 'ada@example.com', name: 'Ada' } as const;

describe('cache', () => {
  it('keeps the viewer read before and after the legal gate in one entry', () => {
    const cache = makeCache();
    cache.writeQuery({
      query: SessionQuery,
      data: { me: { __typename: 'Viewer', user, legal: { __typename: 'ViewerLegal', upToDate: true, pending: [] } } },
    });
    cache.writeQuery({
      query: ViewerQuery,
      data: {
        me: {
          __typename: 'Viewer',
          id: 'Vmlld2VyOjE',
          role: 'OWNER',
          user,
          organization: { __typename: 'Organization', id: 'T3JnOjE', name: 'Ada’s Teas', demo: false },
          organizations: {
            __typename: 'OrganizationMembershipConnection',
            edges: [
              {
                __typename: 'OrganizationMembershipEdge',
                cursor: 'c1',
                node: { __typename: 'OrganizationMembership', id: 'TTox', role: 'OWNER', organization: { __typename: 'Organization', id: 'T3JnOjE', name: 'Ada’s Teas' } },
              },
            ],
            pageInfo: { __typename: 'PageInfo', hasNextPage: false, endCursor: 'c1' },
          },
        },
      },
    });
    const viewer = cache.readQuery({ query: ViewerQuery });
    expect(viewer?.me?.organization.name).toBe('Ada’s Teas');
    expect(viewer?.me?.organizations.edges).toHaveLength(1);
    const session = cache.readQuery({ query: SessionQuery });
    expect(session?.me?.legal.upToDate).toBe(true);
  });
});
