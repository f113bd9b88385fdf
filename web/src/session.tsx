// Who is signed in, and the gate in front of every page that needs it.
import { useQuery, useReactiveVar } from '@apollo/client';
import { Center, Loader } from '@mantine/core';
import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { legalRequired } from './apollo';
import { graphql } from './gql';
import { AcceptTermsPage } from './pages/AcceptTerms';
import { ErrorState } from './components/States';

export const SessionQuery = graphql(`
  query Session {
    me {
      user {
        id
        email
        name
      }
      legal {
        upToDate
        pending {
          id
          kind
          title
          version
          required
        }
      }
    }
  }
`);

export const ViewerQuery = graphql(`
  query Viewer {
    me {
      id
      role
      user {
        id
        email
        name
      }
      organization {
        id
        name
        demo
      }
      organizations(first: 20) {
        edges {
          cursor
          node {
            id
            role
            organization {
              id
              name
            }
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

export function FullPageLoader() {
  return (
    <Center h="100vh" aria-busy="true">
      <Loader aria-label="Loading" />
    </Center>
  );
}

/** Renders children for a signed-in user with nothing to accept. */
export function RequireSession({ children }: { children: ReactNode }) {
  const location = useLocation();
  const mustAccept = useReactiveVar(legalRequired);
  const { data, loading, error, refetch } = useQuery(SessionQuery, { fetchPolicy: 'cache-and-network' });
  if (!data && loading) return <FullPageLoader />;
  if (!data && error) {
    return (
      <Center h="100vh" p="md">
        <ErrorState error={error} onRetry={() => void refetch()} />
      </Center>
    );
  }
  const me = data?.me;
  if (!me) {
    const next = location.pathname + location.search;
    return <Navigate to={next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  if (!me.legal.upToDate || mustAccept) {
    return <AcceptTermsPage pending={me.legal.pending} onAccepted={() => void refetch()} />;
  }
  return <>{children}</>;
}
