import { useMutation } from '@apollo/client';
import { Alert, Anchor, Button, Checkbox, List, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { legalRequired, resetForNewOrganization } from '../apollo';
import { describe } from '../errors';
import { graphql } from '../gql';
import { useLogOut } from '../components/Layout';
import { AuthFrame } from './AuthFrame';
import { legalPath } from './SignUp';

const AcceptLegalDocuments = graphql(`
  mutation AcceptLegalDocuments($input: AcceptLegalDocumentsInput!) {
    acceptLegalDocuments(input: $input) {
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

interface Pending {
  id: string;
  kind: string;
  title: string;
  version: number;
}

/** Shown instead of any page while required documents are pending. */
export function AcceptTermsPage({ pending, onAccepted }: { pending: readonly Pending[]; onAccepted: () => void }) {
  const [checked, setChecked] = useState(false);
  const [error, setError] = useState('');
  const [accept, { loading }] = useMutation(AcceptLegalDocuments);
  const { logOut } = useLogOut();
  const forOrganization = pending.some((d) => d.kind === 'DATA_PROCESSING_AGREEMENT');

  async function submit() {
    setError('');
    const res = await accept({ variables: { input: { documentIds: pending.map((d) => d.id) } } });
    if (res.errors?.length || !res.data) {
      setError(describe(res.errors));
      return;
    }
    legalRequired(false);
    await resetForNewOrganization();
    onAccepted();
  }

  return (
    <AuthFrame title="Accept the updated terms" subtitle="Omnify's documents have changed since you last accepted them. Read and accept them to continue." wide>
      <Stack>
        {error && (
          <Alert color="red" variant="light" role="alert">
            {error}
          </Alert>
        )}
        {pending.length === 0 ? (
          <Text size="sm">Checking what is pending…</Text>
        ) : (
          <List spacing="xs" size="sm">
            {pending.map((d) => (
              <List.Item key={d.id}>
                <Anchor href={legalPath(d.kind)} target="_blank" rel="noopener">
                  {d.title}
                </Anchor>{' '}
                <Text span c="dimmed" size="xs">
                  version {d.version}
                  {d.kind === 'DATA_PROCESSING_AGREEMENT' ? ' · signed on behalf of your organization' : ''}
                </Text>
              </List.Item>
            ))}
          </List>
        )}
        <Checkbox
          checked={checked}
          onChange={(e) => setChecked(e.currentTarget.checked)}
          label={forOrganization ? 'I have read and accept these documents, for myself and on behalf of my organization.' : 'I have read and accept these documents.'}
        />
        <Button onClick={() => void submit()} disabled={!checked || pending.length === 0} loading={loading}>
          Accept and continue
        </Button>
        <Button variant="subtle" color="gray" onClick={() => void logOut()}>
          Log out
        </Button>
      </Stack>
    </AuthFrame>
  );
}
