// The normalized cache: objects keyed by __typename and id, Relay-style
// connections merged page after page.
import { InMemoryCache, type TypePolicies } from '@apollo/client';
import { relayStylePagination } from '@apollo/client/utilities';

export const typePolicies: TypePolicies = {
  Query: {
    fields: {
      // The caller is read in two shapes: before the legal gate lets its
      // organization through (user and legal only) and after; both land in
      // the one entry.
      me: { merge: true },
      apiKeys: relayStylePagination(),
      invitations: relayStylePagination(),
      legalAcceptances: relayStylePagination(),
      deals: relayStylePagination(['stage']),
      contacts: relayStylePagination(),
      emailCampaigns: relayStylePagination(),
      emailFlows: relayStylePagination(),
    },
  },
  // A viewer's id names the caller in the active organization only; a
  // switch resets the cache, and the viewer lives in Query.me.
  Viewer: {
    keyFields: false,
    fields: {
      organizations: relayStylePagination(),
      invitations: relayStylePagination(),
      // Where the caller stands has no id of its own: the newest answer wins.
      legal: { merge: true },
    },
  },
  ViewerLegal: {
    fields: { acceptances: relayStylePagination() },
  },
  Organization: {
    fields: { members: relayStylePagination() },
  },
  Agent: {
    fields: { executions: relayStylePagination() },
  },
  Integration: {
    fields: { syncs: relayStylePagination() },
  },
  // Figures without ids live inside the object that holds them.
  MarketingSummary: { keyFields: false },
  MarketingTotals: { keyFields: false },
  MarketingDay: { keyFields: false },
  PipelineSummary: { keyFields: false },
  AgentExecutionEvent: { keyFields: false },
  // An email revenue figure's id names the source and the period.
  EmailRevenueSource: { keyFields: ['id'] },
};

export function makeCache(): InMemoryCache {
  return new InMemoryCache({ typePolicies });
}
