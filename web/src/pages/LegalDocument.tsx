import { useQuery } from '@apollo/client';
import { Anchor, Container, Paper, Stack, Text, Title, TypographyStylesProvider } from '@mantine/core';
import { Link, useParams } from 'react-router';
import { dateTime } from '../format';
import { graphql } from '../gql';
import { ErrorState, LoadingRows } from '../components/States';
import { Markdown } from '../components/Markdown';

const LegalDocumentText = graphql(`
  query LegalDocumentText {
    legalDocuments {
      id
      kind
      title
      version
      body
      publishedAt
    }
  }
`);

export function LegalDocumentPage() {
  const { kind = '' } = useParams();
  const { data, loading, error } = useQuery(LegalDocumentText);
  const wanted = kind.toUpperCase().replace(/-/g, '_');
  const doc = data?.legalDocuments.find((d) => d.kind === wanted);
  return (
    <Container size="md" py="xl">
      <Stack>
        <Anchor component={Link} to="/signup" size="sm">
          ← Omnify
        </Anchor>
        {loading && !data && <LoadingRows rows={8} />}
        <ErrorState error={error} />
        {data && !doc && <Text>There is no such document.</Text>}
        {doc && (
          <Paper withBorder p="xl" radius="md" component="main">
            <Title order={1} size="h2">
              {doc.title}
            </Title>
            <Text c="dimmed" size="sm" mb="lg">
              Version {doc.version}, published {dateTime(doc.publishedAt)}
            </Text>
            <TypographyStylesProvider>
              <Markdown className="omnify-legal" source={doc.body.replace(/^#\s+.*\n+/, (h) => (h.replace(/^#\s+/, '').trim() === doc.title ? '' : h))} />
            </TypographyStylesProvider>
          </Paper>
        )}
      </Stack>
    </Container>
  );
}
