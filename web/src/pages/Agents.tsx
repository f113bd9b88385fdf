import { useMutation, useQuery, useSubscription } from '@apollo/client';
import { Alert, Anchor, Badge, Button, Group, NumberInput, Paper, SimpleGrid, Stack, Switch, Table, Text, TextInput, Title, Select } from '@mantine/core';
import { IconPlayerPlay } from '@tabler/icons-react';
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { EmptyState, ErrorState, LoadingRows, Section } from '../components/States';
import { formErrors, type FormErrors } from '../errors';
import { ago, dateTime, duration, words } from '../format';
import { graphql } from '../gql';
import { defaultValues, paramFields, parametersToSend } from '../params';

const AgentsQuery = graphql(`
  query Agents {
    agents {
      id
      key
      name
      description
      kind
      status
      enabled
      lastExecution {
        id
        status
        queuedAt
        finishedAt
      }
    }
  }
`);

const AgentQuery = graphql(`
  query Agent($id: ID!, $after: String) {
    agent(id: $id) {
      id
      key
      name
      description
      kind
      status
      enabled
      parametersSchema
      executions(first: 10, after: $after) {
        edges {
          cursor
          node {
            id
            status
            queuedAt
            startedAt
            finishedAt
            error
            requestedBy {
              id
              name
            }
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

const AgentsActivity = graphql(`
  subscription AgentsActivity {
    agentActivity {
      status
      at
      agent {
        id
        status
        lastExecution {
          id
          status
          queuedAt
          finishedAt
        }
      }
      execution {
        id
        status
      }
    }
  }
`);

const RunAgent = graphql(`
  mutation RunAgent($input: RunAgentInput!) {
    runAgent(input: $input) {
      execution {
        id
        status
        agent {
          id
          status
        }
      }
    }
  }
`);

export function agentColor(status: string): string {
  switch (status) {
    case 'RUNNING':
      return 'blue';
    case 'ERROR':
      return 'red';
    case 'DISABLED':
      return 'gray';
  }
  return 'teal';
}

export function executionColor(status: string): string {
  switch (status) {
    case 'SUCCEEDED':
      return 'teal';
    case 'FAILED':
      return 'red';
    case 'CANCELLED':
      return 'gray';
    case 'RUNNING':
      return 'blue';
  }
  return 'yellow';
}

/** Keeps agents' statuses live while a page shows them. */
function useAgentActivity() {
  useSubscription(AgentsActivity);
}

export function AgentsPage() {
  const { data, loading, error, refetch } = useQuery(AgentsQuery);
  useAgentActivity();
  return (
    <Stack gap="lg">
      <div>
        <Title order={1} size="h2">
          Agents
        </Title>
        <Text c="dimmed" size="sm">
          Agents read your synced data and report what needs your attention.
        </Text>
      </div>
      <ErrorState error={error} onRetry={() => void refetch()} />
      {loading && !data && <LoadingRows rows={6} />}
      {data && data.agents.length === 0 && <EmptyState title="No agents available">Agents appear here once your organization has any.</EmptyState>}
      <SimpleGrid cols={{ base: 1, md: 2, lg: 3 }}>
        {data?.agents.map((a) => (
          <Paper key={a.id} withBorder radius="md" p="lg" component="section" aria-label={a.name}>
            <Stack gap="sm" h="100%">
              <Group justify="space-between" wrap="nowrap">
                <Title order={2} size="h4">
                  <Anchor component={Link} to={`/agents/${encodeURIComponent(a.id)}`} inherit c="inherit">
                    {a.name}
                  </Anchor>
                </Title>
                <Badge color={agentColor(a.status)} variant="light">
                  {words(a.status)}
                </Badge>
              </Group>
              <Text size="sm" c="dimmed">
                {a.description}
              </Text>
              <Text size="xs" c="dimmed">
                {a.lastExecution ? (
                  <>
                    Last run{' '}
                    <Anchor component={Link} to={`/executions/${encodeURIComponent(a.lastExecution.id)}`} size="xs">
                      {words(a.lastExecution.status).toLowerCase()} {ago(a.lastExecution.finishedAt ?? a.lastExecution.queuedAt)}
                    </Anchor>
                  </>
                ) : (
                  'Never run'
                )}
              </Text>
              <Group mt="auto">
                <Button component={Link} to={`/agents/${encodeURIComponent(a.id)}`} size="xs" leftSection={<IconPlayerPlay size={14} />} disabled={!a.enabled} aria-label={`Open ${a.name}`}>
                  Run
                </Button>
              </Group>
            </Stack>
          </Paper>
        ))}
      </SimpleGrid>
    </Stack>
  );
}

export function AgentPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const { data, loading, error, refetch, fetchMore } = useQuery(AgentQuery, { variables: { id } });
  useAgentActivity();
  const agent = data?.agent;
  const fields = useMemo(() => paramFields(agent?.parametersSchema), [agent?.parametersSchema]);
  const [values, setValues] = useState<Record<string, unknown>>({});
  const [errors, setErrors] = useState<FormErrors>({ fields: {}, general: [] });
  const [run, { loading: starting }] = useMutation(RunAgent);

  useEffect(() => setValues(defaultValues(fields)), [fields]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setErrors({ fields: {}, general: [] });
    const res = await run({ variables: { input: { agentId: id, parameters: parametersToSend(fields, values) } } });
    const exec = res.data?.runAgent.execution;
    if (res.errors?.length || !exec) {
      setErrors(formErrors(res.errors, fields.map((f) => `parameters.${f.name}`)));
      return;
    }
    navigate(`/executions/${encodeURIComponent(exec.id)}`);
  }

  if (loading && !data) return <LoadingRows rows={8} />;
  if (!agent) return <ErrorState error={error ?? new Error('This agent does not exist, or is not in this organization.')} />;
  const executions = agent.executions.edges.map((e) => e.node);

  return (
    <Stack gap="lg">
      <div>
        <Anchor component={Link} to="/agents" size="sm">
          ← Agents
        </Anchor>
        <Group gap="sm" mt={4}>
          <Title order={1} size="h2">
            {agent.name}
          </Title>
          <Badge color={agentColor(agent.status)} variant="light">
            {words(agent.status)}
          </Badge>
        </Group>
        <Text c="dimmed" size="sm" maw={720}>
          {agent.description}
        </Text>
      </div>
      <ErrorState error={error} onRetry={() => void refetch()} />
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        <Section title="Run">
          <form onSubmit={submit} noValidate>
            <Stack>
              {errors.general.map((m) => (
                <Alert key={m} color="red" variant="light" role="alert">
                  {m}
                </Alert>
              ))}
              {fields.map((f) => {
                const err = errors.fields[`parameters.${f.name}`];
                const desc = [f.description, f.minimum !== undefined && f.maximum !== undefined ? `${f.minimum} to ${f.maximum}` : ''].filter(Boolean).join(' · ');
                if (f.type === 'boolean') {
                  return <Switch key={f.name} label={f.label} description={f.description} checked={Boolean(values[f.name])} onChange={(e) => setValues({ ...values, [f.name]: e.currentTarget.checked })} error={err} />;
                }
                if (f.type === 'string' && f.enum) {
                  return <Select key={f.name} label={f.label} description={f.description} data={f.enum} value={(values[f.name] as string) ?? null} onChange={(v) => setValues({ ...values, [f.name]: v })} error={err} />;
                }
                if (f.type === 'string') {
                  return <TextInput key={f.name} label={f.label} description={f.description} value={(values[f.name] as string) ?? ''} onChange={(e) => setValues({ ...values, [f.name]: e.currentTarget.value })} error={err} />;
                }
                return (
                  <NumberInput
                    key={f.name}
                    label={f.label}
                    description={desc || undefined}
                    min={f.minimum}
                    max={f.maximum}
                    allowDecimal={f.type === 'number'}
                    value={(values[f.name] as number | undefined) ?? ''}
                    onChange={(v) => setValues({ ...values, [f.name]: v === '' ? undefined : v })}
                    error={err}
                  />
                );
              })}
              <Button type="submit" loading={starting} disabled={!agent.enabled || agent.status === 'RUNNING'} leftSection={<IconPlayerPlay size={14} />}>
                {agent.status === 'RUNNING' ? 'Running…' : `Run ${agent.name}`}
              </Button>
              {!agent.enabled && (
                <Text size="sm" c="dimmed">
                  This agent is turned off.
                </Text>
              )}
            </Stack>
          </form>
        </Section>
        <div style={{ gridColumn: 'span 2' }}>
          <Section title="History" description={`${agent.executions.totalCount} run${agent.executions.totalCount === 1 ? '' : 's'}`}>
            {executions.length === 0 ? (
              <EmptyState title="No runs yet">Run the agent to see what it finds.</EmptyState>
            ) : (
              <Table highlightOnHover aria-label="Runs">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Started</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Took</Table.Th>
                    <Table.Th>By</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {executions.map((x) => (
                    <Table.Tr key={x.id}>
                      <Table.Td>
                        <Anchor component={Link} to={`/executions/${encodeURIComponent(x.id)}`} size="sm">
                          {dateTime(x.startedAt ?? x.queuedAt)}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>
                        <Badge size="sm" variant="light" color={executionColor(x.status)}>
                          {words(x.status)}
                        </Badge>
                      </Table.Td>
                      <Table.Td>{duration(x.startedAt, x.finishedAt)}</Table.Td>
                      <Table.Td>{x.requestedBy?.name ?? 'API key'}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
            {agent.executions.pageInfo.hasNextPage && (
              <Button variant="subtle" size="xs" mt="sm" onClick={() => void fetchMore({ variables: { after: agent.executions.pageInfo.endCursor } })}>
                Show older runs
              </Button>
            )}
          </Section>
        </div>
      </SimpleGrid>
    </Stack>
  );
}
