import { describe, expect, it } from 'vitest';
import { authorizationOf, isSubscription } from './fetcher';

describe('the playground fetcher', () => {
  it('sends subscriptions over the socket, the rest over HTTP', () => {
    expect(isSubscription({ query: 'subscription { agentActivity { status } }' })).toBe(true);
    expect(isSubscription({ query: '{ me { role } }' })).toBe(false);
    const two = 'query A { me { role } } subscription B { agentActivity { status } }';
    expect(isSubscription({ query: two, operationName: 'B' })).toBe(true);
    expect(isSubscription({ query: two, operationName: 'A' })).toBe(false);
    expect(isSubscription({ query: 'not graphql {' })).toBe(false);
  });

  it('finds the Authorization header whatever its case', () => {
    expect(authorizationOf({ authorization: ' Bearer omk_1 ' })).toBe('Bearer omk_1');
    expect(authorizationOf({ Authorization: 'Bearer omk_2', 'X-Omnify-Csrf': '1' })).toBe('Bearer omk_2');
    expect(authorizationOf({ 'X-Omnify-Csrf': '1' })).toBeUndefined();
    expect(authorizationOf(undefined)).toBeUndefined();
  });
});
