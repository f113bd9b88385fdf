// The frame of every signed-in page: navigation, the organization switcher,
// the live connection's state and the account menu.
import { useApolloClient, useMutation, useQuery, useReactiveVar } from '@apollo/client';
import { Alert, AppShell, Avatar, Badge, Burger, Group, Menu, NavLink, ScrollArea, Select, Text, Tooltip, UnstyledButton } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import {
  IconBolt,
  IconChartLine,
  IconCode,
  IconLogout,
  IconPlugConnected,
  IconRobot,
  IconSettings,
  IconWifiOff,
} from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router';
import { resetAfterLogout, resetForNewOrganization, sessionLost, socketState } from '../apollo';
import { describe } from '../errors';
import { words } from '../format';
import { graphql } from '../gql';
import { ViewerQuery } from '../session';

const SwitchOrganization = graphql(`
  mutation SwitchOrganization($input: SwitchOrganizationInput!) {
    switchOrganization(input: $input) {
      viewer {
        id
        organization {
          id
          name
        }
      }
    }
  }
`);

export const LogOut = graphql(`
  mutation LogOut {
    logOut {
      loggedOut
    }
  }
`);

const nav = [
  { to: '/', label: 'Dashboard', icon: IconChartLine },
  { to: '/integrations', label: 'Integrations', icon: IconPlugConnected },
  { to: '/agents', label: 'Agents', icon: IconRobot },
  { to: '/settings', label: 'Settings', icon: IconSettings },
];

export function useLogOut() {
  const navigate = useNavigate();
  const [logOut, { loading }] = useMutation(LogOut);
  return {
    loading,
    logOut: async () => {
      await logOut();
      await resetAfterLogout();
      navigate('/login', { replace: true });
    },
  };
}

/** Switches the active organization and reloads everything for it. */
export function useSwitchOrganization() {
  const [mutate, state] = useMutation(SwitchOrganization);
  const [error, setError] = useState('');
  return {
    ...state,
    error,
    switchTo: async (organizationId: string) => {
      setError('');
      const res = await mutate({ variables: { input: { organizationId } } });
      if (res.errors?.length || !res.data) {
        setError(describe(res.errors));
        return false;
      }
      await resetForNewOrganization();
      return true;
    },
  };
}

function ConnectionBadge() {
  const state = useReactiveVar(socketState);
  if (state === 'reconnecting') {
    return (
      <Badge color="orange" variant="light" leftSection={<IconWifiOff size={12} />} role="status">
        Reconnecting…
      </Badge>
    );
  }
  if (state === 'connected') {
    return (
      <Tooltip label="Live updates are on">
        <Badge color="teal" variant="dot" role="status">
          Live
        </Badge>
      </Tooltip>
    );
  }
  return null;
}

export function Layout() {
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  const navigate = useNavigate();
  const client = useApolloClient();
  const lost = useReactiveVar(sessionLost);
  const socket = useReactiveVar(socketState);
  const { data, error: viewerError } = useQuery(ViewerQuery);
  const { logOut } = useLogOut();
  const switcher = useSwitchOrganization();
  const me = data?.me;
  const orgs = me?.organizations.edges.map((e) => e.node) ?? [];

  useEffect(() => {
    if (!lost) return;
    sessionLost(false);
    void client.clearStore().then(() => navigate(`/login?next=${encodeURIComponent(location.pathname)}`, { replace: true }));
  }, [lost, client, navigate, location.pathname]);

  const initials = (me?.user?.name ?? '?')
    .split(/\s+/)
    .map((w) => w.charAt(0))
    .join('')
    .slice(0, 2)
    .toUpperCase();

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 230, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="lg">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Link to="/" style={{ textDecoration: 'none', color: 'inherit', display: 'flex', alignItems: 'center', gap: 6 }} aria-label="Omnify dashboard">
              <IconBolt size={22} color="var(--mantine-color-indigo-6)" aria-hidden />
              <Text fw={700} size="lg" span>
                Omnify
              </Text>
            </Link>
          </Group>
          <Group gap="sm" wrap="nowrap">
            {me?.organization.demo && (
              <Tooltip label="This organization shows generated sample data">
                <Badge color="grape" variant="outline" visibleFrom="sm">
                  Sample data
                </Badge>
              </Tooltip>
            )}
            <ConnectionBadge />
            {orgs.length > 0 && (
              <Select
                aria-label="Organization"
                size="xs"
                w={230}
                visibleFrom="sm"
                allowDeselect={false}
                value={me?.organization.id ?? null}
                data={orgs.map((m) => ({ value: m.organization.id, label: m.organization.name }))}
                disabled={switcher.loading}
                onChange={(id) => {
                  if (id && id !== me?.organization.id) void switcher.switchTo(id).then((ok) => ok && navigate('/'));
                }}
              />
            )}
            <Menu position="bottom-end" withinPortal>
              <Menu.Target>
                <UnstyledButton aria-label="Account menu">
                  <Avatar color="indigo" radius="xl" size={32}>
                    {initials}
                  </Avatar>
                </UnstyledButton>
              </Menu.Target>
              <Menu.Dropdown>
                {me?.user && (
                  <Menu.Label>
                    {me.user.name} · {words(me.role)}
                  </Menu.Label>
                )}
                <Menu.Item component={Link} to="/settings" leftSection={<IconSettings size={14} />}>
                  Settings
                </Menu.Item>
                <Menu.Item leftSection={<IconLogout size={14} />} onClick={() => void logOut()}>
                  Log out
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label="Main">
        <AppShell.Section grow component={ScrollArea}>
          {nav.map((item) => {
            const active = item.to === '/' ? location.pathname === '/' : location.pathname.startsWith(item.to);
            return (
              <NavLink
                key={item.to}
                component={Link}
                to={item.to}
                label={item.label}
                active={active}
                aria-current={active ? 'page' : undefined}
                leftSection={<item.icon size={18} stroke={1.6} />}
                onClick={close}
                variant="light"
                style={{ borderRadius: 6 }}
              />
            );
          })}
        </AppShell.Section>
        <AppShell.Section>
          <NavLink href="/playground" target="_blank" label="API playground" leftSection={<IconCode size={18} stroke={1.6} />} style={{ borderRadius: 6 }} />
          {me && (
            <Text size="xs" c="dimmed" px="sm" pt="xs" truncate>
              {me.organization.name}
            </Text>
          )}
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main bg="gray.0">
        {socket === 'reconnecting' && (
          <Alert color="orange" variant="light" mb="md" icon={<IconWifiOff size={18} />} role="status" title="Reconnecting">
            The live connection to Omnify was lost. Live updates resume by themselves as soon as it is back; nothing is missed.
          </Alert>
        )}
        {viewerError && !data && (
          <Alert color="red" mb="md" role="alert" title="Your account could not be loaded">
            {describe(viewerError)}
          </Alert>
        )}
        {switcher.error && (
          <Alert color="red" mb="md" role="alert">
            {switcher.error}
          </Alert>
        )}
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
