import { useMutation, useQuery, useSubscription } from '@apollo/client';
import { Alert, Badge, Button, Checkbox, Group, Modal, Paper, PasswordInput, SimpleGrid, Stack, Text, TextInput, Title, Loader, Tooltip } from '@mantine/core';
import { IconAlertTriangle, IconRefresh } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { ErrorState, LoadingRows } from '../components/States';
import { describe, errorsOf, formErrors, type FormErrors } from '../errors';
import { ago, count, dateTime, platformName, words } from '../format';
import { graphql } from '../gql';

const IntegrationsQuery = graphql(`
  query Integrations {
    integrations {
      id
      platform
      status
      demo
      accountLabel
      connectedAt
      lastSyncedAt
      lastError
      syncs(first: 3) {
        edges {
          cursor
          node {
            id
            status
            startedAt
            finishedAt
            recordsWritten
            error
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
        totalCount
      }
    }
  }
`);

const IntegrationEvents = graphql(`
  subscription IntegrationEvents {
    integrationEvents {
      id
      platform
      status
      at
      sync {
        id
        platform
        status
        startedAt
        finishedAt
        recordsWritten
        error
      }
    }
  }
`);

const ConnectIntegration = graphql(`
  mutation ConnectIntegration($input: ConnectIntegrationInput!) {
    connectIntegration(input: $input) {
      integration {
        id
        platform
        status
        accountLabel
        connectedAt
        lastError
      }
    }
  }
`);

const DisconnectIntegration = graphql(`
  mutation DisconnectIntegration($input: DisconnectIntegrationInput!) {
    disconnectIntegration(input: $input) {
      integration {
        id
        platform
        status
        accountLabel
        connectedAt
        lastError
      }
    }
  }
`);

const SyncIntegration = graphql(`
  mutation SyncIntegration($input: SyncIntegrationInput!) {
    syncIntegration(input: $input) {
      sync {
        id
        status
        startedAt
        finishedAt
        recordsWritten
        error
      }
      integration {
        id
        status
      }
    }
  }
`);

type Platform = 'TRIPLE_WHALE' | 'HUBSPOT' | 'KLAVIYO';

const ABOUT: Record<Platform, string> = {
  TRIPLE_WHALE: 'Revenue, orders, ad spend and ROAS from your Shopify store.',
  HUBSPOT: 'Deals and contacts from your CRM pipeline.',
  KLAVIYO: 'Email campaigns, flows and the revenue they bring.',
};

const KEY_HELP: Record<Platform, string> = {
  TRIPLE_WHALE: 'Triple Whale → Settings → API keys',
  HUBSPOT: 'A private app access token (HubSpot → Settings → Integrations → Private apps)',
  KLAVIYO: 'A private API key with read access (Klaviyo → Settings → API keys)',
};

export function statusColor(status: string): string {
  switch (status) {
    case 'CONNECTED':
    case 'SUCCEEDED':
      return 'teal';
    case 'SYNCING':
    case 'RUNNING':
    case 'QUEUED':
      return 'blue';
    case 'ERROR':
    case 'FAILED':
      return 'red';
  }
  return 'gray';
}

interface LiveSync {
  id: string;
  status: string;
  recordsWritten: number;
  error?: string | null;
}

function ConnectModal({ platform, onClose }: { platform: Platform | null; onClose: () => void }) {
  const [apiKey, setApiKey] = useState('');
  const [shopDomain, setShopDomain] = useState('');
  const [errors, setErrors] = useState<FormErrors>({ fields: {}, general: [] });
  const [connect, { loading }] = useMutation(ConnectIntegration);
  if (!platform) return null;
  const name = platformName(platform);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setErrors({ fields: {}, general: [] });
    const res = await connect({
      variables: { input: { platform: platform!, apiKey, shopDomain: platform === 'TRIPLE_WHALE' ? shopDomain : undefined } },
    });
    if (res.errors?.length || !res.data) {
      const out = formErrors(res.errors, ['apiKey', 'shopDomain', 'platform']);
      // The platform refused the key: say so next to it.
      if (!out.fields.apiKey && errorsOf(res.errors).some((x) => x.code === 'INTEGRATION_ERROR' && !x.field)) {
        out.fields.apiKey = out.general.shift() ?? "";
      }
      setErrors(out);
      return;
    }
    setApiKey('');
    setShopDomain('');
    onClose();
  }

  return (
    <Modal opened onClose={onClose} title={`Connect ${name}`} centered>
      <form onSubmit={submit} noValidate>
        <Stack>
          <Text size="sm" c="dimmed">
            The key is checked with {name}, then stored encrypted. Nobody can read it back.
          </Text>
          {errors.general.map((m) => (
            <Alert key={m} color="red" variant="light" role="alert">
              {m}
            </Alert>
          ))}
          {platform === 'TRIPLE_WHALE' && (
            <TextInput label="Shop domain" placeholder="your-store.myshopify.com" required value={shopDomain} onChange={(e) => setShopDomain(e.currentTarget.value)} error={errors.fields.shopDomain ?? errors.fields.platform} />
          )}
          <PasswordInput label="API key" description={KEY_HELP[platform]} required value={apiKey} onChange={(e) => setApiKey(e.currentTarget.value)} error={errors.fields.apiKey} data-autofocus />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={loading}>
              Connect
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function DisconnectModal({ platform, onClose }: { platform: Platform | null; onClose: () => void }) {
  const [purge, setPurge] = useState(false);
  const [error, setError] = useState('');
  const [disconnect, { loading }] = useMutation(DisconnectIntegration);
  if (!platform) return null;
  const name = platformName(platform);
  return (
    <Modal opened onClose={onClose} title={`Disconnect ${name}?`} centered>
      <Stack>
        <Text size="sm">Omnify stops syncing {name} and forgets its key. You can connect it again at any time.</Text>
        <Checkbox checked={purge} onChange={(e) => setPurge(e.currentTarget.checked)} label={`Also delete the data synced from ${name}`} />
        {error && (
          <Alert color="red" variant="light" role="alert">
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            color="red"
            loading={loading}
            onClick={async () => {
              setError('');
              const res = await disconnect({ variables: { input: { platform, purgeData: purge } } });
              if (res.errors?.length) {
                setError(describe(res.errors));
                return;
              }
              onClose();
            }}
          >
            Disconnect
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function IntegrationsPage() {
  const { data, loading, error, refetch } = useQuery(IntegrationsQuery);
  const [connecting, setConnecting] = useState<Platform | null>(null);
  const [disconnecting, setDisconnecting] = useState<Platform | null>(null);
  const [live, setLive] = useState<Partial<Record<Platform, LiveSync>>>({});
  const [syncErrors, setSyncErrors] = useState<Partial<Record<Platform, string>>>({});
  const [sync] = useMutation(SyncIntegration);

  useSubscription(IntegrationEvents, {
    onData: ({ data: ev }) => {
      const e = ev.data?.integrationEvents;
      if (!e) return;
      if (e.sync) {
        setLive((prev) => ({ ...prev, [e.platform]: { id: e.sync!.id, status: e.sync!.status, recordsWritten: e.sync!.recordsWritten, error: e.sync!.error } }));
      }
      // The integration's own fields (status, last sync, last error) change with it.
      void refetch();
    },
  });

  async function syncNow(platform: Platform) {
    setSyncErrors((p) => ({ ...p, [platform]: undefined }));
    const res = await sync({ variables: { input: { platform } } });
    const run = res.data?.syncIntegration.sync;
    if (res.errors?.length || !run) {
      setSyncErrors((p) => ({ ...p, [platform]: describe(res.errors) }));
      return;
    }
    setLive((prev) => ({ ...prev, [platform]: { id: run.id, status: run.status, recordsWritten: run.recordsWritten, error: run.error } }));
  }

  return (
    <Stack gap="lg">
      <div>
        <Title order={1} size="h2">
          Integrations
        </Title>
        <Text c="dimmed" size="sm">
          Connect your platforms. Omnify syncs them every hour and whenever you ask.
        </Text>
      </div>
      <ErrorState error={error} onRetry={() => void refetch()} />
      {loading && !data && <LoadingRows rows={6} />}
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        {data?.integrations.map((i) => {
          const p = i.platform as Platform;
          const run = live[p] ?? i.syncs.edges[0]?.node;
          const running = run && (run.status === 'QUEUED' || run.status === 'RUNNING');
          const isConnected = i.status !== 'DISCONNECTED';
          return (
            <Paper key={i.id} withBorder radius="md" p="lg" component="section" aria-label={platformName(p)}>
              <Stack gap="sm" h="100%">
                <Group justify="space-between">
                  <Title order={2} size="h4">
                    {platformName(p)}
                  </Title>
                  <Group gap={6}>
                    {i.demo && (
                      <Tooltip label="Sample data: this connection never calls the platform">
                        <Badge color="grape" variant="outline">
                          Demo
                        </Badge>
                      </Tooltip>
                    )}
                    <Badge color={statusColor(i.status)} variant="light">
                      {words(i.status)}
                    </Badge>
                  </Group>
                </Group>
                <Text size="sm" c="dimmed">
                  {ABOUT[p]}
                </Text>
                <Stack gap={2}>
                  <Text size="sm">
                    <Text span c="dimmed">Account: </Text>
                    {i.accountLabel ?? '—'}
                  </Text>
                  <Text size="sm">
                    <Text span c="dimmed">Last sync: </Text>
                    {i.lastSyncedAt ? <span title={dateTime(i.lastSyncedAt)}>{ago(i.lastSyncedAt)}</span> : 'never'}
                  </Text>
                </Stack>
                {i.lastError && (
                  <Alert color="red" variant="light" icon={<IconAlertTriangle size={16} />} p="xs">
                    <Text size="sm">{i.lastError}</Text>
                  </Alert>
                )}
                {run && isConnected && (
                  <Group gap="xs" role="status" aria-live="polite">
                    {running && <Loader size="xs" />}
                    <Text size="sm">
                      {running ? `Syncing… ${count(run.recordsWritten)} records so far` : run.status === 'SUCCEEDED' ? `Last run wrote ${count(run.recordsWritten)} records` : run.status === 'FAILED' ? `Last run failed${run.error ? `: ${run.error}` : ''}` : words(run.status)}
                    </Text>
                  </Group>
                )}
                {syncErrors[p] && (
                  <Text size="sm" c="red" role="alert">
                    {syncErrors[p]}
                  </Text>
                )}
                <Group mt="auto" gap={6} wrap="nowrap">
                  {isConnected ? (
                    <>
                      <Button size="xs" leftSection={<IconRefresh size={14} />} onClick={() => void syncNow(p)} loading={!!running} aria-label={`Sync ${platformName(p)} now`}>
                        Sync now
                      </Button>
                      <Button size="xs" variant="default" onClick={() => setConnecting(p)}>
                        Change key
                      </Button>
                      <Button size="xs" variant="subtle" color="red" px={8} onClick={() => setDisconnecting(p)}>
                        Disconnect
                      </Button>
                    </>
                  ) : (
                    <Button size="xs" onClick={() => setConnecting(p)} aria-label={`Connect ${platformName(p)}`}>
                      Connect
                    </Button>
                  )}
                </Group>
              </Stack>
            </Paper>
          );
        })}
      </SimpleGrid>
      <ConnectModal platform={connecting} onClose={() => setConnecting(null)} />
      <DisconnectModal platform={disconnecting} onClose={() => setDisconnecting(null)} />
    </Stack>
  );
}
