import { useMutation, useQuery } from '@apollo/client';
import { ActionIcon, Alert, Badge, Button, Code, CopyButton, Group, Paper, PasswordInput, Select, Stack, Table, Tabs, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { IconCheck, IconCopy, IconKey, IconUsers } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { useLogOut, useSwitchOrganization } from '../components/Layout';
import { EmptyState, ErrorState, LoadingRows, Section } from '../components/States';
import { describe, formErrors, type FormErrors } from '../errors';
import { ago, dateTime, words } from '../format';
import { graphql } from '../gql';
import { ViewerQuery } from '../session';

const MembersQuery = graphql(`
  query Members($after: String) {
    me {
      id
      role
      user {
        id
      }
      organization {
        id
        name
        members(first: 50, after: $after) {
          edges {
            cursor
            node {
              id
              role
              joinedAt
              user {
                id
                name
                email
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
      invitations(first: 20) {
        edges {
          cursor
          node {
            id
            role
            expiresAt
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
        totalCount
      }
    }
  }
`);

const OpenInvitationsQuery = graphql(`
  query OpenInvitations {
    invitations(first: 50) {
      edges {
        cursor
        node {
          id
          email
          role
          createdAt
          expiresAt
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
      totalCount
    }
  }
`);

const InviteMember = graphql(`
  mutation InviteMember($input: InviteMemberInput!) {
    inviteMember(input: $input) {
      invitation {
        id
        email
        role
        createdAt
        expiresAt
      }
    }
  }
`);

const RevokeInvitation = graphql(`
  mutation RevokeInvitation($input: RevokeInvitationInput!) {
    revokeInvitation(input: $input) {
      invitation {
        id
      }
    }
  }
`);

const AcceptInvitation = graphql(`
  mutation AcceptInvitation($input: AcceptInvitationInput!) {
    acceptInvitation(input: $input) {
      membership {
        id
        role
        organization {
          id
          name
        }
      }
    }
  }
`);

const UpdateMemberRole = graphql(`
  mutation UpdateMemberRole($input: UpdateMemberRoleInput!) {
    updateMemberRole(input: $input) {
      member {
        id
        role
      }
    }
  }
`);

const ApiKeysQuery = graphql(`
  query ApiKeys($after: String) {
    apiKeys(first: 50, after: $after) {
      edges {
        cursor
        node {
          id
          name
          prefix
          scope
          createdAt
          lastUsedAt
          revoked
          revokedAt
          createdBy {
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
`);

const CreateApiKey = graphql(`
  mutation CreateApiKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      secret
      apiKey {
        id
        name
        prefix
        scope
        createdAt
        lastUsedAt
        revoked
        revokedAt
      }
    }
  }
`);

const RevokeApiKey = graphql(`
  mutation RevokeApiKey($input: RevokeApiKeyInput!) {
    revokeApiKey(input: $input) {
      apiKey {
        id
        revoked
        revokedAt
      }
    }
  }
`);

const ChangePassword = graphql(`
  mutation ChangePassword($input: ChangePasswordInput!) {
    changePassword(input: $input) {
      otherSessionsEnded
    }
  }
`);

const ROLES = ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'].map((r) => ({ value: r, label: words(r) }));
const noErrors: FormErrors = { fields: {}, general: [] };

function GeneralErrors({ errors }: { errors: FormErrors }) {
  return (
    <>
      {errors.general.map((m) => (
        <Alert key={m} color="red" variant="light" role="alert">
          {m}
        </Alert>
      ))}
    </>
  );
}

function MembersTab() {
  const { data, loading, error, refetch, fetchMore } = useQuery(MembersQuery);
  const role = data?.me?.role;
  const isAdmin = role === 'OWNER' || role === 'ADMIN';
  const open = useQuery(OpenInvitationsQuery, { skip: !isAdmin });
  const [email, setEmail] = useState('');
  const [inviteRole, setInviteRole] = useState<string>('MEMBER');
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [sent, setSent] = useState('');
  const [invite, { loading: inviting }] = useMutation(InviteMember);
  const [revoke] = useMutation(RevokeInvitation);
  const [accept] = useMutation(AcceptInvitation);
  const [updateRole] = useMutation(UpdateMemberRole);
  const [rowError, setRowError] = useState('');
  const switcher = useSwitchOrganization();
  const navigate = useNavigate();

  if (loading && !data) return <LoadingRows rows={6} />;
  const org = data?.me?.organization;
  const members = org?.members.edges.map((e) => e.node) ?? [];
  const mine = data?.me?.invitations.edges.map((e) => e.node) ?? [];
  const openInvites = open.data?.invitations.edges.map((e) => e.node) ?? [];

  async function submit(e: FormEvent) {
    e.preventDefault();
    setErrors(noErrors);
    setSent('');
    const res = await invite({ variables: { input: { email, role: inviteRole as 'MEMBER' } } });
    if (res.errors?.length || !res.data) {
      setErrors(formErrors(res.errors, ['email', 'role']));
      return;
    }
    setSent(`Invitation sent to ${email}. They join when they accept it after signing in with that address.`);
    setEmail('');
    void open.refetch();
  }

  return (
    <Stack>
      <ErrorState error={error} onRetry={() => void refetch()} />
      {rowError && (
        <Alert color="red" variant="light" role="alert" withCloseButton onClose={() => setRowError('')}>
          {rowError}
        </Alert>
      )}
      {mine.length > 0 && (
        <Section title="Invitations for you">
          <Stack gap="xs">
            {mine.map((inv) => (
              <Group key={inv.id} justify="space-between">
                <Text size="sm">
                  Join <b>{inv.organization.name}</b> as {words(inv.role).toLowerCase()} · expires {ago(inv.expiresAt)}
                </Text>
                <Button
                  size="xs"
                  onClick={async () => {
                    const res = await accept({ variables: { input: { invitationId: inv.id } } });
                    if (res.errors?.length || !res.data) {
                      setRowError(describe(res.errors));
                      return;
                    }
                    if (await switcher.switchTo(res.data.acceptInvitation.membership.organization.id)) navigate('/');
                  }}
                >
                  Accept and switch
                </Button>
              </Group>
            ))}
          </Stack>
        </Section>
      )}
      <Section title="Members" description={org ? `${org.members.totalCount} in ${org.name}` : undefined}>
        <Table aria-label="Members" verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Email</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th>Joined</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {members.map((m) => (
              <Table.Tr key={m.id}>
                <Table.Td>{m.user.name}</Table.Td>
                <Table.Td>{m.user.email}</Table.Td>
                <Table.Td>
                  {isAdmin && m.user.id !== data?.me?.user?.id ? (
                    <Select
                      size="xs"
                      w={120}
                      aria-label={`Role of ${m.user.name}`}
                      data={ROLES}
                      value={m.role}
                      allowDeselect={false}
                      onChange={async (r) => {
                        if (!r || r === m.role) return;
                        const res = await updateRole({ variables: { input: { userId: m.user.id, role: r as 'MEMBER' } } });
                        if (res.errors?.length) setRowError(describe(res.errors));
                      }}
                    />
                  ) : (
                    <Badge variant="light">{words(m.role)}</Badge>
                  )}
                </Table.Td>
                <Table.Td>{dateTime(m.joinedAt)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        {org?.members.pageInfo.hasNextPage && (
          <Button variant="subtle" size="xs" mt="sm" onClick={() => void fetchMore({ variables: { after: org.members.pageInfo.endCursor } })}>
            Show more
          </Button>
        )}
      </Section>
      {isAdmin && (
        <Section title="Invite someone" description="They get access when they accept, after signing in (or signing up) with this address.">
          <form onSubmit={submit} noValidate>
            <Stack>
              <GeneralErrors errors={errors} />
              {sent && (
                <Alert color="teal" variant="light" role="status">
                  {sent}
                </Alert>
              )}
              <Group align="flex-start" grow>
                <TextInput label="Email" type="email" required value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={errors.fields.email} />
                <Select label="Role" data={role === 'OWNER' ? ROLES : ROLES.filter((r) => r.value !== 'OWNER')} value={inviteRole} onChange={(v) => setInviteRole(v ?? 'MEMBER')} allowDeselect={false} error={errors.fields.role} />
              </Group>
              <Group>
                <Button type="submit" loading={inviting}>
                  Send invitation
                </Button>
              </Group>
            </Stack>
          </form>
          {openInvites.length > 0 && (
            <Table mt="md" aria-label="Open invitations">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Invited</Table.Th>
                  <Table.Th>Role</Table.Th>
                  <Table.Th>Expires</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {openInvites.map((inv) => (
                  <Table.Tr key={inv.id}>
                    <Table.Td>{inv.email}</Table.Td>
                    <Table.Td>{words(inv.role)}</Table.Td>
                    <Table.Td>{dateTime(inv.expiresAt)}</Table.Td>
                    <Table.Td ta="right">
                      <Button
                        size="xs"
                        variant="subtle"
                        color="red"
                        onClick={async () => {
                          const res = await revoke({ variables: { input: { invitationId: inv.id } } });
                          if (res.errors?.length) setRowError(describe(res.errors));
                          void open.refetch();
                        }}
                      >
                        Revoke
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Section>
      )}
    </Stack>
  );
}

function ApiKeysTab() {
  const viewer = useQuery(ViewerQuery);
  const role = viewer.data?.me?.role;
  const isAdmin = role === 'OWNER' || role === 'ADMIN';
  const { data, loading, error, refetch } = useQuery(ApiKeysQuery, { skip: !isAdmin });
  const [name, setName] = useState('');
  const [scope, setScope] = useState<string>('READ');
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const [create, { loading: creating }] = useMutation(CreateApiKey);
  const [revoke] = useMutation(RevokeApiKey);
  const [rowError, setRowError] = useState('');

  if (viewer.data && !isAdmin) {
    return <EmptyState title="Only owners and admins manage API keys" icon={<IconKey size={22} />}>Ask an owner or admin of your organization for a key.</EmptyState>;
  }
  const keys = data?.apiKeys.edges.map((e) => e.node) ?? [];

  async function submit(e: FormEvent) {
    e.preventDefault();
    setErrors(noErrors);
    const res = await create({ variables: { input: { name, scope: scope as 'READ' } } });
    const out = res.data?.createApiKey;
    if (res.errors?.length || !out) {
      setErrors(formErrors(res.errors, ['name', 'scope']));
      return;
    }
    setSecret({ name: out.apiKey.name, secret: out.secret });
    setName('');
    void refetch();
  }

  return (
    <Stack>
      <Section title="Create an API key" description="Partners send it as Authorization: Bearer <key>. READ keys query and subscribe; READ_WRITE keys also change data.">
        <form onSubmit={submit} noValidate>
          <Stack>
            <GeneralErrors errors={errors} />
            <Group align="flex-start" grow>
              <TextInput label="Key name" placeholder="Reporting partner" required value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors.fields.name} />
              <Select
                label="Access"
                data={[
                  { value: 'READ', label: 'Read only' },
                  { value: 'READ_WRITE', label: 'Read and write' },
                ]}
                value={scope}
                onChange={(v) => setScope(v ?? 'READ')}
                allowDeselect={false}
                error={errors.fields.scope}
              />
            </Group>
            <Group>
              <Button type="submit" loading={creating} leftSection={<IconKey size={14} />}>
                Create key
              </Button>
            </Group>
          </Stack>
        </form>
        {secret && (
          <Alert color="teal" variant="light" mt="md" title={`Key “${secret.name}” created`} role="status">
            <Stack gap="xs">
              <Text size="sm">Copy the secret now: it is shown only this once.</Text>
              <Group gap="xs" wrap="nowrap">
                <Code block style={{ flex: 1, wordBreak: 'break-all' }} data-testid="api-key-secret">
                  {secret.secret}
                </Code>
                <CopyButton value={secret.secret}>
                  {({ copied, copy }) => (
                    <Tooltip label={copied ? 'Copied' : 'Copy'}>
                      <ActionIcon variant="light" color={copied ? 'teal' : 'gray'} onClick={copy} aria-label="Copy the secret" size="lg">
                        {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
                      </ActionIcon>
                    </Tooltip>
                  )}
                </CopyButton>
              </Group>
              <Group>
                <Button size="xs" variant="subtle" onClick={() => setSecret(null)}>
                  I have stored it
                </Button>
              </Group>
            </Stack>
          </Alert>
        )}
      </Section>
      <Section title="API keys" description={data ? `${data.apiKeys.totalCount} key${data.apiKeys.totalCount === 1 ? '' : 's'}` : undefined}>
        <ErrorState error={error} onRetry={() => void refetch()} />
        {rowError && (
          <Alert color="red" variant="light" role="alert">
            {rowError}
          </Alert>
        )}
        {loading && !data ? (
          <LoadingRows />
        ) : keys.length === 0 ? (
          <EmptyState title="No API keys yet" icon={<IconKey size={22} />}>Create one for a partner or a script.</EmptyState>
        ) : (
          <Table aria-label="API keys" verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Key</Table.Th>
                <Table.Th>Access</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th>Last used</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {keys.map((k) => (
                <Table.Tr key={k.id} opacity={k.revoked ? 0.55 : 1}>
                  <Table.Td>{k.name}</Table.Td>
                  <Table.Td>
                    <Code>{k.prefix}…</Code>
                  </Table.Td>
                  <Table.Td>{k.scope === 'READ' ? 'Read only' : 'Read and write'}</Table.Td>
                  <Table.Td>{dateTime(k.createdAt)}</Table.Td>
                  <Table.Td>{k.lastUsedAt ? ago(k.lastUsedAt) : 'never'}</Table.Td>
                  <Table.Td ta="right">
                    {k.revoked ? (
                      <Badge color="gray" variant="light">
                        Revoked
                      </Badge>
                    ) : (
                      <Button
                        size="xs"
                        variant="subtle"
                        color="red"
                        onClick={async () => {
                          if (!window.confirm(`Revoke “${k.name}”? Anything using it stops working at once.`)) return;
                          const res = await revoke({ variables: { input: { id: k.id } } });
                          if (res.errors?.length) setRowError(describe(res.errors));
                        }}
                      >
                        Revoke
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Section>
    </Stack>
  );
}

function AccountTab() {
  const { data } = useQuery(ViewerQuery);
  const switcher = useSwitchOrganization();
  const navigate = useNavigate();
  const { logOut, loading: leaving } = useLogOut();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [done, setDone] = useState('');
  const [change, { loading }] = useMutation(ChangePassword);
  const me = data?.me;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setErrors(noErrors);
    setDone('');
    const res = await change({ variables: { input: { currentPassword: current, newPassword: next } } });
    if (res.errors?.length || !res.data) {
      setErrors(formErrors(res.errors, ['currentPassword', 'newPassword']));
      return;
    }
    const ended = res.data.changePassword.otherSessionsEnded;
    setDone(`Password changed.${ended ? ` ${ended} other session${ended === 1 ? ' was' : 's were'} logged out.` : ''}`);
    setCurrent('');
    setNext('');
  }

  return (
    <Stack>
      <Section title="Your account">
        <Text size="sm">
          {me?.user?.name} · {me?.user?.email}
        </Text>
        <Text size="sm" c="dimmed">
          {me ? `${words(me.role)} of ${me.organization.name}` : ''}
        </Text>
      </Section>
      <Section title="Organization" description="Everything you see belongs to the active organization.">
        <Select
          label="Active organization"
          maw={360}
          allowDeselect={false}
          value={me?.organization.id ?? null}
          data={(me?.organizations.edges ?? []).map((e) => ({ value: e.node.organization.id, label: `${e.node.organization.name} (${words(e.node.role).toLowerCase()})` }))}
          onChange={(id) => {
            if (id && id !== me?.organization.id) void switcher.switchTo(id).then((ok) => ok && navigate('/'));
          }}
          error={switcher.error || undefined}
        />
      </Section>
      <Section title="Change password" description="Your other sessions are logged out.">
        <form onSubmit={submit} noValidate>
          <Stack maw={360}>
            <GeneralErrors errors={errors} />
            {done && (
              <Alert color="teal" variant="light" role="status">
                {done}
              </Alert>
            )}
            <PasswordInput label="Current password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.currentTarget.value)} error={errors.fields.currentPassword} />
            <PasswordInput label="New password" description="At least 10 characters" autoComplete="new-password" required value={next} onChange={(e) => setNext(e.currentTarget.value)} error={errors.fields.newPassword} />
            <Group>
              <Button type="submit" loading={loading}>
                Change password
              </Button>
            </Group>
          </Stack>
        </form>
      </Section>
      <Paper withBorder radius="md" p="md">
        <Group justify="space-between">
          <Text size="sm">Log out of Omnify on this browser.</Text>
          <Button variant="default" color="red" onClick={() => void logOut()} loading={leaving}>
            Log out
          </Button>
        </Group>
      </Paper>
    </Stack>
  );
}

export function SettingsPage() {
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') ?? 'members';
  return (
    <Stack gap="lg">
      <Title order={1} size="h2">
        Settings
      </Title>
      <Tabs value={tab} onChange={(t) => setParams(t && t !== 'members' ? { tab: t } : {}, { replace: true })} keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="members" leftSection={<IconUsers size={14} />}>
            Members
          </Tabs.Tab>
          <Tabs.Tab value="keys" leftSection={<IconKey size={14} />}>
            API keys
          </Tabs.Tab>
          <Tabs.Tab value="account">Account</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="members">
          <MembersTab />
        </Tabs.Panel>
        <Tabs.Panel value="keys">
          <ApiKeysTab />
        </Tabs.Panel>
        <Tabs.Panel value="account">
          <AccountTab />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
