import { Center, Loader } from '@mantine/core';
import { lazy, Suspense, type ReactNode } from 'react';
import { Route, Routes } from 'react-router';
import { Layout } from './components/Layout';
import { LoginPage } from './pages/Login';
import { SignUpPage } from './pages/SignUp';
import { EmptyState } from './components/States';
import { RequireSession } from './session';

// Each page is a chunk of its own, loaded when first shown: the main bundle
// holds the frame, the session and the pages before signing in.
const DashboardPage = lazy(() => import('./pages/Dashboard').then((m) => ({ default: m.DashboardPage })));
const IntegrationsPage = lazy(() => import('./pages/Integrations').then((m) => ({ default: m.IntegrationsPage })));
const AgentsPage = lazy(() => import('./pages/Agents').then((m) => ({ default: m.AgentsPage })));
const AgentPage = lazy(() => import('./pages/Agents').then((m) => ({ default: m.AgentPage })));
const ExecutionPage = lazy(() => import('./pages/Execution').then((m) => ({ default: m.ExecutionPage })));
const SettingsPage = lazy(() => import('./pages/Settings').then((m) => ({ default: m.SettingsPage })));
const LegalDocumentPage = lazy(() => import('./pages/LegalDocument').then((m) => ({ default: m.LegalDocumentPage })));

function Page({ children }: { children: ReactNode }) {
  return (
    <Suspense
      fallback={
        <Center py="xl">
          <Loader aria-label="Loading" />
        </Center>
      }
    >
      {children}
    </Suspense>
  );
}

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/signup" element={<SignUpPage />} />
      <Route path="/legal/:kind" element={<Page><LegalDocumentPage /></Page>} />
      <Route
        element={
          <RequireSession>
            <Layout />
          </RequireSession>
        }
      >
        <Route index element={<Page><DashboardPage /></Page>} />
        <Route path="integrations" element={<Page><IntegrationsPage /></Page>} />
        <Route path="agents" element={<Page><AgentsPage /></Page>} />
        <Route path="agents/:id" element={<Page><AgentPage /></Page>} />
        <Route path="executions/:id" element={<Page><ExecutionPage /></Page>} />
        <Route path="settings" element={<Page><SettingsPage /></Page>} />
        <Route path="*" element={<EmptyState title="This page does not exist">Use the navigation to find your way.</EmptyState>} />
      </Route>
    </Routes>
  );
}
