import { useMutation, useQuery, useReactiveVar } from '@apollo/client';
import { Alert, Anchor, Badge, Button, Group, List, Loader, Paper, SimpleGrid, Stack, Text, ThemeIcon, Timeline, Title } from '@mantine/core';
import { IconAlertTriangle, IconCircleCheck, IconInfoCircle, IconPlayerStop, IconX } from '@tabler/icons-react';
import { print } from 'graphql';
import { useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { socket, socketState } from '../apollo';
import { ErrorState, LoadingRows, Section } from '../components/States';
import { describe, errorsOf } from '../errors';
import { addEvents, emptyLog, metricLabel, readReport, resumeVariables, type EventLog, type ExecutionEvent } from '../executionEvents';
import { dateTime, duration, words } from '../format';
import { graphql } from '../gql';
import { executionColor } from './Agents';

const ExecutionQuery = graphql(`
  query AgentExecution($id: ID!) {
    agentExecution(id: $id) {
      id
      status
      parameters
      queuedAt
      startedAt
      finishedAt
      result
      error
      requestedBy {
        id
        name
      }
      agent {
        id
        name
        status
      }
    }
  }
`);

const ExecutionEventsSubscription = graphql(`
  subscription AgentExecutionEvents($executionId: ID!, $afterSequence: Int) {
    agentExecutionEvents(executionId: $executionId, afterSequence: $afterSequence) {
      executionId
      sequence
      type
      message
      data
      at
    }
  }
`);

const CancelExecution = graphql(`
  mutation CancelAgentExecution($input: CancelAgentExecutionInput!) {
    cancelAgentExecution(input: $input) {
      execution {
        id
        status
      }
    }
  }
`);

const subscriptionText = print(ExecutionEventsSubscription);

/**
 * The execution's events, live. The subscription's variables are one object
 * that the client sends again whenever it reconnects; afterSequence in it
 * follows every event received, so a dropped connection resumes after the
 * last event held and the server neither skips nor repeats any (addEvents
 * drops a repeat all the same). An error (SLOW_CONSUMER, a refused socket)
 * subscribes again the same way.
 */
function useExecutionEvents(executionId: string) {
  const [log, setLog] = useState<EventLog>(emptyLog);
  const [error, setError] = useState<unknown>(null);
  const logRef = useRef(log);
  logRef.current = log;

  useEffect(() => {
    let stopped = false;
    let unsubscribe: (() => void) | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const start = () => {
      if (stopped) return;
      const variables = resumeVariables(executionId, logRef.current);
      unsubscribe = socket().subscribe<{ agentExecutionEvents: ExecutionEvent }>(
        { query: subscriptionText, variables },
        {
          next: (res) => {
            if (res.errors?.length) {
              setError(res.errors);
              return;
            }
            const ev = res.data?.agentExecutionEvents;
            if (!ev) return;
            setError(null);
            const next = addEvents(logRef.current, [ev]);
            logRef.current = next;
            (variables as { afterSequence?: number }).afterSequence = next.lastSequence || undefined;
            setLog(next);
          },
          error: (err) => {
            if (stopped) return;
            setError(Array.isArray(err) ? err : err);
            const codes = errorsOf(Array.isArray(err) ? { errors: err } : err).map((e) => e.code);
            if (codes.includes('NOT_FOUND') || codes.includes('FORBIDDEN') || codes.includes('UNAUTHENTICATED')) return;
            retry = setTimeout(start, 1_000);
          },
          complete: () => {},
        },
      );
    };
    start();
    return () => {
      stopped = true;
      clearTimeout(retry);
      unsubscribe?.();
    };
  }, [executionId]);

  return { log, error };
}

function eventIcon(type: string) {
  switch (type) {
    case 'SUCCEEDED':
      return <IconCircleCheck size={14} />;
    case 'FAILED':
      return <IconX size={14} />;
    case 'FINDING':
      return <IconAlertTriangle size={14} />;
    case 'CANCELLED':
      return <IconPlayerStop size={14} />;
  }
  return <IconInfoCircle size={14} />;
}

function severityColor(s: string) {
  return s === 'critical' ? 'red' : s === 'warning' ? 'orange' : 'blue';
}

function metricValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? v.toLocaleString() : v.toLocaleString(undefined, { maximumFractionDigits: 2 });
  if (typeof v === 'string' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export function ExecutionPage() {
  const { id = '' } = useParams();
  const { data, loading, error, refetch } = useQuery(ExecutionQuery, { variables: { id } });
  const { log, error: streamError } = useExecutionEvents(id);
  const socketStatus = useReactiveVar(socketState);
  const [cancel, { loading: cancelling }] = useMutation(CancelExecution);
  const [cancelError, setCancelError] = useState('');
  const exec = data?.agentExecution;

  // When the last event arrives, the execution's result is ready.
  useEffect(() => {
    if (log.finished) void refetch();
  }, [log.finished, refetch]);

  if (loading && !data) return <LoadingRows rows={8} />;
  if (!exec) return <ErrorState error={error ?? new Error('This run does not exist, or is not in this organization.')} />;

  const status = log.finished ? (log.events[log.events.length - 1]?.type ?? exec.status) : exec.status === 'QUEUED' && log.events.some((e) => e.type === 'STARTED') ? 'RUNNING' : exec.status;
  const done = ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(status);
  const report = exec.status === 'SUCCEEDED' ? readReport(exec.result) : null;
  const params = exec.parameters && typeof exec.parameters === 'object' ? Object.entries(exec.parameters as Record<string, unknown>) : [];

  return (
    <Stack gap="lg">
      <div>
        <Anchor component={Link} to={`/agents/${encodeURIComponent(exec.agent.id)}`} size="sm">
          ← {exec.agent.name}
        </Anchor>
        <Group gap="sm" mt={4}>
          <Title order={1} size="h2">
            {exec.agent.name} run
          </Title>
          <Badge color={executionColor(status)} variant="light" size="lg" data-testid="execution-status">
            {words(status)}
          </Badge>
          {!done && <Loader size="sm" aria-label="Running" />}
        </Group>
        <Text c="dimmed" size="sm">
          Queued {dateTime(exec.queuedAt)}
          {exec.requestedBy ? ` by ${exec.requestedBy.name}` : ' by an API key'}
          {exec.finishedAt ? ` · took ${duration(exec.startedAt, exec.finishedAt)}` : ''}
          {params.length > 0 ? ` · ${params.map(([k, v]) => `${metricLabel(k)}: ${metricValue(v)}`).join(', ')}` : ''}
        </Text>
      </div>
      {!done && (
        <Group>
          <Button
            variant="default"
            color="red"
            size="xs"
            loading={cancelling}
            leftSection={<IconPlayerStop size={14} />}
            onClick={async () => {
              setCancelError('');
              const res = await cancel({ variables: { input: { id } } });
              if (res.errors?.length) setCancelError(describe(res.errors));
            }}
          >
            Cancel run
          </Button>
          {cancelError && (
            <Text size="sm" c="red" role="alert">
              {cancelError}
            </Text>
          )}
        </Group>
      )}
      {exec.status === 'FAILED' && exec.error && (
        <Alert color="red" title="The run failed" role="alert">
          <Stack gap="xs" align="flex-start">
            <Text size="sm">{exec.error}</Text>
            {/connect/i.test(exec.error) && (
              <Button component={Link} to="/integrations" size="xs" variant="white" color="red">
                Go to Integrations
              </Button>
            )}
          </Stack>
        </Alert>
      )}
      {report && (
        <Paper withBorder radius="md" p="lg" component="section" aria-label="Findings">
          <Title order={2} size="h4" mb="xs">
            Findings
          </Title>
          <Text mb="md">{report.summary}</Text>
          <Stack gap="sm">
            {report.findings.map((f, i) => (
              <Alert key={i} color={severityColor(f.severity)} variant="light" title={f.title} icon={f.severity === 'info' ? <IconInfoCircle size={18} /> : <IconAlertTriangle size={18} />}>
                <Text size="sm">{f.detail}</Text>
              </Alert>
            ))}
            {report.findings.length === 0 && <Text size="sm" c="dimmed">Nothing needs your attention.</Text>}
          </Stack>
          {report.recommendations.length > 0 && (
            <>
              <Title order={3} size="h5" mt="lg" mb="xs">
                What to do
              </Title>
              <List spacing={4} size="sm">
                {report.recommendations.map((r, i) => (
                  <List.Item key={i}>{r}</List.Item>
                ))}
              </List>
            </>
          )}
          {Object.keys(report.metrics).length > 0 && (
            <SimpleGrid cols={{ base: 2, sm: 4 }} mt="lg">
              {Object.entries(report.metrics)
                .filter(([, v]) => typeof v !== 'object' || v === null)
                .slice(0, 12)
                .map(([k, v]) => (
                  <div key={k}>
                    <Text size="xs" c="dimmed">
                      {metricLabel(k)}
                    </Text>
                    <Text fw={600}>{metricValue(v)}</Text>
                  </div>
                ))}
            </SimpleGrid>
          )}
        </Paper>
      )}
      <Section title="Live log" description={done ? `${log.events.length} events` : socketStatus === 'reconnecting' ? 'Reconnecting… events resume where they stopped' : 'Events appear as they happen'}>
        {streamError && !done ? <ErrorState error={streamError} title="The live log was interrupted" /> : null}
        {log.events.length === 0 ? (
          <LoadingRows rows={3} />
        ) : (
          <Timeline active={log.events.length - 1} bulletSize={22} lineWidth={2} aria-live="polite" aria-label="Events">
            {log.events.map((e) => (
              <Timeline.Item
                key={e.sequence}
                bullet={
                  <ThemeIcon size={22} radius="xl" color={e.type === 'FAILED' ? 'red' : e.type === 'FINDING' ? 'orange' : e.type === 'SUCCEEDED' ? 'teal' : 'indigo'}>
                    {eventIcon(e.type)}
                  </ThemeIcon>
                }
                title={<Text size="sm" fw={600}>{words(e.type)}</Text>}
              >
                <Text size="sm">{e.message}</Text>
                <Text size="xs" c="dimmed">
                  #{e.sequence} · {dateTime(e.at)}
                </Text>
              </Timeline.Item>
            ))}
          </Timeline>
        )}
      </Section>
    </Stack>
  );
}
