import { Anchor, Center, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { IconBolt } from '@tabler/icons-react';
import type { ReactNode } from 'react';

/** The centered card of the pages before signing in. */
export function AuthFrame({ title, subtitle, children, wide }: { title: string; subtitle?: ReactNode; children: ReactNode; wide?: boolean }) {
  return (
    <Center mih="100vh" bg="gray.0" p="md">
      <Stack w="100%" maw={wide ? 560 : 420} gap="lg">
        <Group gap={6} justify="center">
          <IconBolt size={28} color="var(--mantine-color-indigo-6)" aria-hidden />
          <Text fw={700} size="xl">
            Omnify
          </Text>
        </Group>
        <Paper withBorder shadow="sm" radius="md" p="xl" component="main">
          <Title order={1} size="h3" mb={4}>
            {title}
          </Title>
          {subtitle && (
            <Text c="dimmed" size="sm" mb="lg">
              {subtitle}
            </Text>
          )}
          {children}
        </Paper>
        <Text size="xs" c="dimmed" ta="center">
          Marketing figures from Triple Whale, HubSpot and Klaviyo in one place. <Anchor href="/playground" size="xs">API playground</Anchor>
        </Text>
      </Stack>
    </Center>
  );
}
