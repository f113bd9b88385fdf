import { useQuery, useSubscription } from '@apollo/client';
import { Badge, Group, Paper, SegmentedControl, SimpleGrid, Skeleton, Stack, Table, Text, Title, Progress, Anchor } from '@mantine/core';
import { IconArrowDownRight, IconArrowUpRight, IconMail, IconRobot } from '@tabler/icons-react';
import { lazy, Suspense, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { ConnectPrompt, EmptyState, ErrorState, LoadingRows, Section } from '../components/States';
import { ago, change, count, day, lastDays, money, percent, ratio, stageName, words } from '../format';
import { graphql } from '../gql';
import { executionColor } from './Agents';

const DailyChart = lazy(() => import('./DailyChart'));

const DashboardQuery = graphql(`
  query Dashboard($from: Date!, $to: Date!) {
    integrations {
      id
      platform
      status
      lastSyncedAt
    }
    marketingSummary(from: $from, to: $to) {
      currency
      revenue
      adSpend
      roas
      orders
      averageOrderValue
      emailRevenue
      previousPeriod {
        revenue
        adSpend
        roas
        orders
        averageOrderValue
        emailRevenue
      }
      daily {
        date
        revenue
        adSpend
        roas
      }
      emailRevenueByCampaign(first: 5) {
        id
        kind
        name
        revenue
        share
      }
      emailRevenueByFlow(first: 5) {
        id
        kind
        name
        revenue
        share
      }
    }
    pipelineSummary {
      openAmount
      stages {
        stage
        count
        amount
      }
    }
    emailCampaigns(first: 5) {
      edges {
        cursor
        node {
          id
          name
          status
          sendTime
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
      totalCount
    }
    agents {
      id
      name
      lastExecution {
        id
        status
        queuedAt
        finishedAt
      }
    }
  }
`);

const AgentActivitySubscription = graphql(`
  subscription AgentActivity {
    agentActivity {
      status
      at
      agent {
        id
        name
        status
      }
      execution {
        id
        status
      }
    }
  }
`);

const RANGES = [
  { value: '7', label: 'Last 7 days' },
  { value: '30', label: 'Last 30 days' },
  { value: '90', label: 'Last 90 days' },
];

function Kpi({ label, value, current, previous, goodWhenUp = true, loading }: { label: string; value: string; current: number; previous: number; goodWhenUp?: boolean; loading: boolean }) {
  const c = change(current, previous);
  const good = c.direction === 'flat' ? null : (c.direction === 'up') === goodWhenUp;
  return (
    <Paper withBorder radius="md" p="md" role="group" aria-label={label}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      {loading ? (
        <Skeleton height={30} mt={6} width="70%" />
      ) : (
        <Text fz={26} fw={700} mt={4} data-testid={`kpi-${label}`}>
          {value}
        </Text>
      )}
      <Group gap={4} mt={4}>
        {!loading && (
          <Text size="xs" c={good === null ? 'dimmed' : good ? 'teal.7' : 'red.7'} fw={600} span>
            <Group gap={2} component="span" style={{ display: 'inline-flex' }}>
              {c.direction === 'up' && <IconArrowUpRight size={14} aria-hidden />}
              {c.direction === 'down' && <IconArrowDownRight size={14} aria-hidden />}
              {c.label}
            </Group>
          </Text>
        )}
        <Text size="xs" c="dimmed" span>
          vs previous period
        </Text>
      </Group>
    </Paper>
  );
}

interface Activity {
  key: string;
  executionId: string;
  agent: string;
  status: string;
  at: string;
}

function ActivityFeed({ seed }: { seed: Activity[] }) {
  const [live, setLive] = useState<Activity[]>([]);
  useSubscription(AgentActivitySubscription, {
    onData: ({ data }) => {
      const a = data.data?.agentActivity;
      if (!a) return;
      setLive((prev) => [{ key: `${a.execution.id}:${a.status}`, executionId: a.execution.id, agent: a.agent.name, status: a.status, at: a.at }, ...prev.filter((p) => p.key !== `${a.execution.id}:${a.status}`)].slice(0, 30));
    },
  });
  const items = useMemo(() => {
    const seen = new Set(live.map((l) => l.executionId));
    return [...live, ...seed.filter((s) => !seen.has(s.executionId))].slice(0, 12);
  }, [live, seed]);
  if (items.length === 0) {
    return (
      <EmptyState title="No agent activity yet" icon={<IconRobot size={22} />} action={<Anchor component={Link} to="/agents" size="sm">Run an agent</Anchor>}>
        When an agent runs, its progress shows here as it happens.
      </EmptyState>
    );
  }
  return (
    <Stack gap={6} aria-live="polite" aria-label="Agent activity">
      {items.map((a) => (
        <Group key={a.key} justify="space-between" wrap="nowrap">
          <Group gap="xs" wrap="nowrap" style={{ minWidth: 0 }}>
            <Badge size="sm" variant="light" color={executionColor(a.status)} w={96}>
              {words(a.status)}
            </Badge>
            <Anchor component={Link} to={`/executions/${encodeURIComponent(a.executionId)}`} size="sm" truncate>
              {a.agent}
            </Anchor>
          </Group>
          <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
            {ago(a.at)}
          </Text>
        </Group>
      ))}
    </Stack>
  );
}

function SourceTable({ rows, currency, kind }: { rows: { id: string; name: string; revenue: number; share: number }[]; currency: string; kind: string }) {
  if (rows.length === 0) return <Text size="sm" c="dimmed">No {kind} earned revenue in this period.</Text>;
  return (
    <Stack gap={8}>
      {rows.map((r) => (
        <div key={r.id}>
          <Group justify="space-between" wrap="nowrap" gap="xs">
            <Text size="sm" truncate>
              {r.name}
            </Text>
            <Text size="sm" fw={600} style={{ whiteSpace: 'nowrap' }}>
              {money(r.revenue, currency)} <Text span size="xs" c="dimmed">{percent(r.share)}</Text>
            </Text>
          </Group>
          <Progress value={r.share * 100} size="sm" color="grape" aria-hidden />
        </div>
      ))}
    </Stack>
  );
}

export function DashboardPage() {
  const [range, setRange] = useState('30');
  const period = useMemo(() => lastDays(Number(range)), [range]);
  const { data, previousData, loading, error, refetch } = useQuery(DashboardQuery, { variables: period });
  const d = data ?? previousData;
  const s = d?.marketingSummary;
  const currency = s?.currency ?? 'USD';
  const connected = (p: string) => d?.integrations.some((i) => i.platform === p && i.status !== 'DISCONNECTED') ?? false;
  const busy = loading && !data;
  const seed = useMemo<Activity[]>(
    () =>
      (d?.agents ?? [])
        .filter((a) => a.lastExecution)
        .map((a) => ({ key: `${a.lastExecution!.id}:${a.lastExecution!.status}`, executionId: a.lastExecution!.id, agent: a.name, status: a.lastExecution!.status, at: a.lastExecution!.finishedAt ?? a.lastExecution!.queuedAt }))
        .sort((x, y) => y.at.localeCompare(x.at)),
    [d?.agents],
  );
  const stages = d?.pipelineSummary.stages ?? [];
  const maxStage = Math.max(1, ...stages.map((st) => st.amount));
  const campaigns = d?.emailCampaigns.edges.map((e) => e.node) ?? [];
  const hasTW = connected('TRIPLE_WHALE');

  return (
    <Stack gap="lg">
      <Group justify="space-between" align="flex-end">
        <div>
          <Title order={1} size="h2">
            Dashboard
          </Title>
          <Text c="dimmed" size="sm">
            {day(period.from, true)} – {day(period.to, true)}, compared with the {range} days before
          </Text>
        </div>
        <SegmentedControl aria-label="Date range" value={range} onChange={setRange} data={RANGES} />
      </Group>
      <ErrorState error={error} onRetry={() => void refetch()} />
      {!busy && d && !hasTW ? (
        <Paper withBorder radius="md">
          <ConnectPrompt platform="Triple Whale" what="revenue, ad spend, ROAS and orders" />
        </Paper>
      ) : (
        <>
          <SimpleGrid cols={{ base: 1, xs: 2, md: 5 }}>
            <Kpi label="Revenue" value={money(s?.revenue ?? 0, currency)} current={s?.revenue ?? 0} previous={s?.previousPeriod.revenue ?? 0} loading={busy} />
            <Kpi label="Ad spend" value={money(s?.adSpend ?? 0, currency)} current={s?.adSpend ?? 0} previous={s?.previousPeriod.adSpend ?? 0} goodWhenUp={false} loading={busy} />
            <Kpi label="ROAS" value={ratio(s?.roas ?? 0)} current={s?.roas ?? 0} previous={s?.previousPeriod.roas ?? 0} loading={busy} />
            <Kpi label="Orders" value={count(s?.orders ?? 0)} current={s?.orders ?? 0} previous={s?.previousPeriod.orders ?? 0} loading={busy} />
            <Kpi label="Email revenue" value={money(s?.emailRevenue ?? 0, currency)} current={s?.emailRevenue ?? 0} previous={s?.previousPeriod.emailRevenue ?? 0} loading={busy} />
          </SimpleGrid>
          <Section title="Revenue and ad spend" description="Per day, in your store's currency">
            {busy ? (
              <Skeleton height={280} />
            ) : (
              <Suspense fallback={<Skeleton height={280} />}>
                <DailyChart days={s?.daily ?? []} currency={currency} />
              </Suspense>
            )}
          </Section>
        </>
      )}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Section title="Sales pipeline" description={stages.length > 0 ? `Open deals worth ${money(d?.pipelineSummary.openAmount ?? 0, currency)}` : undefined}>
          {busy ? (
            <LoadingRows rows={4} />
          ) : !connected('HUBSPOT') && stages.length === 0 ? (
            <ConnectPrompt platform="HubSpot" what="your deals by stage" />
          ) : stages.length === 0 ? (
            <Text size="sm" c="dimmed">No deals yet.</Text>
          ) : (
            <Table verticalSpacing={6} aria-label="Pipeline by stage">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Stage</Table.Th>
                  <Table.Th ta="right">Deals</Table.Th>
                  <Table.Th ta="right">Amount</Table.Th>
                  <Table.Th w="30%" />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {stages.map((st) => (
                  <Table.Tr key={st.stage}>
                    <Table.Td>{stageName(st.stage)}</Table.Td>
                    <Table.Td ta="right">{count(st.count)}</Table.Td>
                    <Table.Td ta="right">{money(st.amount, currency)}</Table.Td>
                    <Table.Td>
                      <Progress value={(st.amount / maxStage) * 100} size="sm" aria-hidden />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Section>
        <Section title="Agent activity" description="Live: updates as agents run">
          {busy ? <LoadingRows rows={4} /> : <ActivityFeed seed={seed} />}
        </Section>
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        <Section title="Recent email campaigns">
          {busy ? (
            <LoadingRows rows={4} />
          ) : !connected('KLAVIYO') && campaigns.length === 0 ? (
            <ConnectPrompt platform="Klaviyo" what="your email campaigns" />
          ) : campaigns.length === 0 ? (
            <EmptyState title="No campaigns yet" icon={<IconMail size={22} />} />
          ) : (
            <Stack gap={8}>
              {campaigns.map((c) => (
                <Group key={c.id} justify="space-between" wrap="nowrap">
                  <div style={{ minWidth: 0 }}>
                    <Text size="sm" truncate>
                      {c.name}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {c.sendTime ? ago(c.sendTime) : 'not scheduled'}
                    </Text>
                  </div>
                  <Badge variant="light" color={c.status.toLowerCase() === 'sent' ? 'teal' : 'gray'} size="sm">
                    {c.status}
                  </Badge>
                </Group>
              ))}
            </Stack>
          )}
        </Section>
        <Section title="Email revenue by campaign" description="Top campaigns in this period">
          {busy ? <LoadingRows rows={4} /> : !connected('KLAVIYO') && !s?.emailRevenue ? <ConnectPrompt platform="Klaviyo" what="email revenue by campaign" /> : <SourceTable rows={s?.emailRevenueByCampaign ?? []} currency={currency} kind="campaign" />}
        </Section>
        <Section title="Email revenue by flow" description="Top automated flows in this period">
          {busy ? <LoadingRows rows={4} /> : !connected('KLAVIYO') && !s?.emailRevenue ? <ConnectPrompt platform="Klaviyo" what="email revenue by flow" /> : <SourceTable rows={s?.emailRevenueByFlow ?? []} currency={currency} kind="flow" />}
        </Section>
      </SimpleGrid>
    </Stack>
  );
}
