// What the playground opens with: documented examples, one per tab.

export const DEFAULT_QUERY = `# Welcome to the Omnify GraphQL playground.
#
# Signed in to the app in this browser? Queries run as
# you, in your active organization.
#
# Partners: create an API key in the app (Settings →
# API keys) and put it in the Headers tab below:
#   { "Authorization": "Bearer omk_..." }
# It goes with every request, and in connection_init
# for subscriptions.
#
# Run with the pink button (or Ctrl-Enter). Docs and
# Explorer (left) describe every type and field; the
# book icon opens the partner guide: keys, scopes,
# limits and error codes. More examples in the tabs.

query Overview {
  serverInfo {
    version
  }
  me {
    role
    organization {
      name
    }
  }
  integrations {
    platform
    status
    lastSyncedAt
  }
}
`;

export const DEFAULT_HEADERS = `{
  "X-Omnify-Csrf": "1"
}`;

const DASHBOARD = `# Revenue, ad spend and ROAS for a period, with the period before it.
query Dashboard {
  marketingSummary(from: "2026-11-01", to: "2026-11-30") {
    currency
    revenue
    adSpend
    roas
    orders
    previousPeriod {
      revenue
      roas
    }
    emailRevenueByFlow(first: 3) {
      name
      revenue
      share
    }
  }
}
`;

const SUBSCRIPTION = `# Live: every status change of your agent executions, as it happens.
# Run an agent in the app (or with runAgent) to see events arrive.
subscription AgentActivity {
  agentActivity {
    status
    at
    agent {
      name
    }
    execution {
      id
    }
  }
}
`;

const PAGINATION = `# Connections page forward with first/after (Relay style).
query Deals($after: String) {
  deals(first: 10, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    nodes {
      name
      stage
      amount
      updatedAt
    }
  }
}
`;

export const EXAMPLE_TABS = [
  { query: DEFAULT_QUERY, headers: DEFAULT_HEADERS },
  { query: DASHBOARD, headers: DEFAULT_HEADERS },
  { query: SUBSCRIPTION, headers: DEFAULT_HEADERS },
  { query: PAGINATION, headers: DEFAULT_HEADERS },
];
