// The partner guide (docs/partners.md, bundled at build time) as a GraphiQL
// plugin, so the playground explains keys, limits and errors offline.
import type { GraphiQLPlugin } from '@graphiql/react';
import guide from '../../../docs/partners.md?raw';
import { Markdown } from '../components/Markdown';

function GuideIcon() {
  return (
    <svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden>
      <path d="M4 5a2 2 0 0 1 2-2h12v16H6a2 2 0 0 0-2 2zM4 5v16M8 7h6M8 11h6" />
    </svg>
  );
}

export const guidePlugin: GraphiQLPlugin = {
  title: 'Partner guide',
  icon: GuideIcon,
  content: () => <Markdown source={guide} />,
};
