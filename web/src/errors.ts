// Turning GraphQL errors into what the user sees: a message next to the input
// named by extensions.field, or one sentence the user can act on.
import type { GraphQLFormattedError } from 'graphql';

export interface AppError {
  message: string;
  code?: string;
  field?: string;
}

interface ErrorLike {
  message?: string;
  graphQLErrors?: readonly GraphQLFormattedError[];
  errors?: readonly GraphQLFormattedError[];
  networkError?: unknown;
  result?: unknown;
  statusCode?: number;
}

function fromGraphQL(e: GraphQLFormattedError): AppError {
  const ext = (e.extensions ?? {}) as Record<string, unknown>;
  return {
    message: e.message,
    code: typeof ext.code === 'string' ? ext.code : undefined,
    field: typeof ext.field === 'string' && ext.field !== '' ? ext.field : undefined,
  };
}

/**
 * Every error in what Apollo (or graphql-ws) reports: GraphQL errors from a
 * 200 answer, those in the body of a refused request (4xx), and a network
 * failure as one error without a code.
 */
export function errorsOf(error: unknown): AppError[] {
  if (!error) return [];
  if (Array.isArray(error)) return error.flatMap((e) => errorsOf(e));
  if (typeof error !== 'object') return [{ message: String(error) }];
  const e = error as ErrorLike & { extensions?: unknown };
  // One GraphQL error, as in a mutation result's `errors` list.
  if ('extensions' in e && !e.graphQLErrors && !e.networkError) return [fromGraphQL(e as GraphQLFormattedError)];
  const out: AppError[] = [];
  for (const g of e.graphQLErrors ?? []) out.push(fromGraphQL(g));
  for (const g of e.errors ?? []) out.push(fromGraphQL(g));
  const net = e.networkError as ErrorLike | undefined | null;
  if (net) {
    const body = net.result as { errors?: GraphQLFormattedError[] } | undefined;
    if (body && typeof body === 'object' && Array.isArray(body.errors)) {
      for (const g of body.errors) out.push(fromGraphQL(g));
    } else {
      out.push({ message: net.message ?? 'Network error', code: 'NETWORK_ERROR' });
    }
  }
  if (out.length === 0 && e.message) {
    out.push({ message: e.message });
  }
  return out;
}

/** The first error with this code, if any. */
export function findCode(errors: AppError[], code: string): AppError | undefined {
  return errors.find((e) => e.code === code);
}

/**
 * The input an error names, as the form calls it: `input.email`, `email`
 * and `SignUpInput.email` all name `email`; `parameters.days` names
 * `parameters.days` when the form has such an input, else `days`.
 */
export function fieldKey(field: string, known: readonly string[]): string | undefined {
  const trimmed = field.replace(/^input\./, '');
  if (known.includes(trimmed)) return trimmed;
  const parts = trimmed.split('.');
  for (let i = 1; i < parts.length; i++) {
    const tail = parts.slice(i).join('.');
    if (known.includes(tail)) return tail;
  }
  return undefined;
}

export interface FormErrors {
  /** Messages by input name. */
  fields: Record<string, string>;
  /** Messages that belong to no input of the form, made actionable. */
  general: string[];
}

/** Splits errors between a form's inputs and a general message. */
export function formErrors(error: unknown, known: readonly string[]): FormErrors {
  const result: FormErrors = { fields: {}, general: [] };
  for (const e of errorsOf(error)) {
    const key = e.field ? fieldKey(e.field, known) : undefined;
    if (key && !result.fields[key]) {
      result.fields[key] = e.message;
    } else {
      const msg = actionable(e);
      if (!result.general.includes(msg)) result.general.push(msg);
    }
  }
  return result;
}

/** A sentence the user can act on for an error that names no input. */
export function actionable(e: AppError): string {
  switch (e.code) {
    case 'UNAUTHENTICATED':
      // The server says which: wrong credentials, an ended session, a bad key.
      return e.message || 'Your session has ended. Log in again to continue.';
    case 'FORBIDDEN':
      return `${e.message} Ask an owner or admin of the organization if you need this.`;
    case 'RATE_LIMITED':
      return `${e.message} Wait a moment and try again.`;
    case 'NETWORK_ERROR':
      return 'Omnify could not be reached. Check your connection; the page retries when you try again.';
    case 'INTERNAL_SERVER_ERROR':
      return 'Something went wrong on our side. Try again in a moment.';
    default:
      return e.message;
  }
}

/** One line for an error shown on its own (a page that failed to load). */
export function describe(error: unknown): string {
  const errs = errorsOf(error);
  if (errs.length === 0) return '';
  return errs.map(actionable).filter((m, i, all) => all.indexOf(m) === i).join(' ');
}
