import { describe, expect, it } from 'vitest';
import { actionable, describe as describeError, errorsOf, fieldKey, formErrors } from './errors';

const gqlError = (message: string, extensions: Record<string, unknown>) => ({ message, extensions });

describe('errorsOf', () => {
  it('reads GraphQL errors, refused requests and network failures', () => {
    expect(errorsOf({ graphQLErrors: [gqlError('bad', { code: 'BAD_USER_INPUT', field: 'email' })] })).toEqual([
      { message: 'bad', code: 'BAD_USER_INPUT', field: 'email' },
    ]);
    // A 403 whose body lists the errors, as Apollo reports it.
    const refused = { networkError: { message: 'Response not successful', result: { errors: [gqlError('Accept the terms', { code: 'LEGAL_ACCEPTANCE_REQUIRED' })] } } };
    expect(errorsOf(refused)).toEqual([{ message: 'Accept the terms', code: 'LEGAL_ACCEPTANCE_REQUIRED', field: undefined }]);
    expect(errorsOf({ networkError: new TypeError('Failed to fetch') })).toEqual([{ message: 'Failed to fetch', code: 'NETWORK_ERROR' }]);
    expect(errorsOf([gqlError('a', { code: 'CONFLICT' })].map((e) => ({ errors: [e] })))).toHaveLength(1);
    expect(errorsOf(null)).toEqual([]);
    // A mutation result's errors list, as useMutation returns it with errorPolicy "all".
    expect(errorsOf([gqlError('short', { code: 'BAD_USER_INPUT', field: 'password' })])).toEqual([
      { message: 'short', code: 'BAD_USER_INPUT', field: 'password' },
    ]);
    expect(formErrors([gqlError('short', { code: 'BAD_USER_INPUT', field: 'password' })], ['password']).fields).toEqual({ password: 'short' });
  });
});

describe('fieldKey', () => {
  const known = ['email', 'password', 'parameters.days', 'shopDomain'];
  it('finds the input an error names, with or without its input prefix', () => {
    expect(fieldKey('email', known)).toBe('email');
    expect(fieldKey('input.email', known)).toBe('email');
    expect(fieldKey('parameters.days', known)).toBe('parameters.days');
    expect(fieldKey('input.parameters.days', known)).toBe('parameters.days');
    expect(fieldKey('input.shopDomain', known)).toBe('shopDomain');
    expect(fieldKey('organizationName', known)).toBeUndefined();
  });
});

describe('formErrors', () => {
  it('puts each error next to its input, and the rest in actionable words', () => {
    const err = {
      graphQLErrors: [
        gqlError('This password is among the most common ones.', { code: 'BAD_USER_INPUT', field: 'password' }),
        gqlError('Already taken', { code: 'BAD_USER_INPUT', field: 'input.email' }),
        gqlError('Too many attempts.', { code: 'RATE_LIMITED' }),
        gqlError('Unknown thing', { code: 'BAD_USER_INPUT', field: 'nothingHere' }),
      ],
    };
    const out = formErrors(err, ['email', 'password']);
    expect(out.fields).toEqual({ password: 'This password is among the most common ones.', email: 'Already taken' });
    expect(out.general).toEqual(['Too many attempts. Wait a moment and try again.', 'Unknown thing']);
  });

  it('keeps the first message of an input', () => {
    const out = formErrors({ graphQLErrors: [gqlError('one', { field: 'email' }), gqlError('two', { field: 'email' })] }, ['email']);
    expect(out.fields.email).toBe('one');
  });
});

describe('actionable', () => {
  it('says what to do', () => {
    expect(actionable({ message: '', code: 'UNAUTHENTICATED' })).toMatch(/Log in again/);
    expect(actionable({ message: 'The email address or password is incorrect.', code: 'UNAUTHENTICATED' })).toBe('The email address or password is incorrect.');
    expect(actionable({ message: 'Only admins.', code: 'FORBIDDEN' })).toMatch(/Ask an owner or admin/);
    expect(actionable({ message: 'x', code: 'NETWORK_ERROR' })).toMatch(/could not be reached/);
    expect(actionable({ message: 'As is', code: 'CONFLICT' })).toBe('As is');
    expect(describeError({ graphQLErrors: [gqlError('a', {}), gqlError('a', {})] })).toBe('a');
  });
});
