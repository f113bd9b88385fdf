import { useQuery } from '@apollo/client';
import { Anchor, Container, Paper, Stack, Text, Title, TypographyStylesProvider } from '@mantine/core';
import { Link, useParams } from 'react-router';
import { dateTime } from '../format';
import { graphql } from '../gql';
import { ErrorState, LoadingRows } from '../components/States';

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

/** The Markdown of a legal document as paragraphs and headings, without HTML. */
function Markdown({ text }: { text: string }) {
  const blocks = text.split(/\n{2,}/);
  return (
    <>
      {blocks.map((b, i) => {
        const h = /^(#{1,6})\s+(.*)$/.exec(b.trim());
        if (h) {
          const order = Math.min(6, h[1].length + 1) as 2 | 3 | 4 | 5 | 6;
          return (
            <Title key={i} order={order}>
              {h[2]}
            </Title>
          );
        }
        return (
          <p key={i} style={{ whiteSpace: 'pre-wrap' }}>
            {b.replace(/\*\*(.+?)\*\*/g, '$1')}
          </p>
        );
      })}
    </>
  );
}

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
              <Markdown text={doc.body} />
            </TypographyStylesProvider>
          </Paper>
        )}
      </Stack>
    </Container>
  );
}
