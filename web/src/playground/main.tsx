import 'graphiql/style.css';
import '@graphiql/plugin-explorer/style.css';
import './guide.css';
import { explorerPlugin } from '@graphiql/plugin-explorer';
import { GraphiQL } from 'graphiql';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { makeFetcher } from './fetcher';
import { guidePlugin } from './guide';
import { DEFAULT_HEADERS, DEFAULT_QUERY, EXAMPLE_TABS } from './examples';

const fetcher = makeFetcher();
const explorer = explorerPlugin();

createRoot(document.getElementById('playground')!).render(
  <StrictMode>
    <GraphiQL
      fetcher={fetcher}
      plugins={[explorer, guidePlugin]}
      defaultQuery={DEFAULT_QUERY}
      defaultHeaders={DEFAULT_HEADERS}
      defaultTabs={EXAMPLE_TABS}
      shouldPersistHeaders
      isHeadersEditorEnabled
      defaultEditorToolsVisibility="headers"
    >
      <GraphiQL.Logo>
        <a href="/" style={{ color: 'inherit', textDecoration: 'none' }}>
          Omnify
        </a>{' '}
        <span style={{ fontWeight: 400, fontSize: '0.8em' }}>GraphQL playground</span>
      </GraphiQL.Logo>
      <GraphiQL.Footer>
        <div style={{ padding: '6px 12px', fontSize: 12 }}>
          Signed in to the app? Requests use your session. Partners: put <code>{'{"Authorization": "Bearer <key>"}'}</code> in Headers (it is also sent when subscriptions connect). API keys, scopes, limits and error codes: the <b>Partner guide</b> (book icon on the left; docs/partners.md in the repository).
        </div>
      </GraphiQL.Footer>
    </GraphiQL>
  </StrictMode>,
);
