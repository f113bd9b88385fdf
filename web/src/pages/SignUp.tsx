import { useMutation, useQuery } from '@apollo/client';
import { Alert, Anchor, Button, Checkbox, Group, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { resetForNewOrganization } from '../apollo';
import { formErrors, type FormErrors } from '../errors';
import { graphql } from '../gql';
import { AuthFrame } from './AuthFrame';
import { LoadingRows } from '../components/States';

export const LegalDocumentsQuery = graphql(`
  query LegalDocuments {
    legalDocuments {
      id
      kind
      title
      version
      required
      publishedAt
    }
  }
`);

const SignUp = graphql(`
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      viewer {
        user {
          id
          email
          name
        }
      }
    }
  }
`);

const FIELDS = ['name', 'email', 'password', 'organizationName', 'acceptedLegalDocumentIds'] as const;

export function legalPath(kind: string): string {
  return `/legal/${kind.toLowerCase().replace(/_/g, '-')}`;
}

export function SignUpPage() {
  const navigate = useNavigate();
  const docs = useQuery(LegalDocumentsQuery);
  const [form, setForm] = useState({ name: '', email: '', password: '', organizationName: '' });
  const [accepted, setAccepted] = useState(false);
  const [errors, setErrors] = useState<FormErrors>({ fields: {}, general: [] });
  const [signUp, { loading }] = useMutation(SignUp);
  const required = docs.data?.legalDocuments.filter((d) => d.required) ?? [];

  const set = (k: keyof typeof form) => (e: { currentTarget: { value: string } }) => setForm({ ...form, [k]: e.currentTarget.value });

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!accepted) {
      setErrors({ fields: { acceptedLegalDocumentIds: 'Accept the documents to create your account.' }, general: [] });
      return;
    }
    setErrors({ fields: {}, general: [] });
    const res = await signUp({
      variables: { input: { ...form, acceptedLegalDocumentIds: required.map((d) => d.id) } },
    });
    if (res.errors?.length || !res.data) {
      setErrors(formErrors(res.errors, FIELDS));
      return;
    }
    await resetForNewOrganization();
    navigate('/', { replace: true });
  }

  return (
    <AuthFrame title="Create your account" subtitle="Set up Omnify for your store. You can connect your platforms right after." wide>
      <form onSubmit={submit} noValidate>
        <Stack>
          {errors.general.map((m) => (
            <Alert key={m} color="red" variant="light" role="alert">
              {m}
            </Alert>
          ))}
          <Group grow align="flex-start">
            <TextInput label="Your name" autoComplete="name" required value={form.name} onChange={set('name')} error={errors.fields.name} autoFocus />
            <TextInput label="Store name" description="The name of your organization" required value={form.organizationName} onChange={set('organizationName')} error={errors.fields.organizationName} />
          </Group>
          <TextInput label="Work email" type="email" autoComplete="email" required value={form.email} onChange={set('email')} error={errors.fields.email} />
          <PasswordInput label="Password" description="At least 10 characters" autoComplete="new-password" required value={form.password} onChange={set('password')} error={errors.fields.password} />
          {docs.loading && !docs.data ? (
            <LoadingRows rows={2} />
          ) : (
            <Checkbox
              checked={accepted}
              onChange={(e) => setAccepted(e.currentTarget.checked)}
              error={errors.fields.acceptedLegalDocumentIds}
              label={
                <Text size="sm" component="span">
                  I accept{' '}
                  {required.map((d, i) => (
                    <span key={d.id}>
                      {i > 0 && (i === required.length - 1 ? ' and ' : ', ')}
                      <Anchor href={legalPath(d.kind)} target="_blank" rel="noopener" size="sm">
                        the {d.title}
                      </Anchor>
                    </span>
                  ))}
                  {required.length === 0 && 'the terms'}.
                </Text>
              }
            />
          )}
          <Button type="submit" loading={loading} fullWidth>
            Create account
          </Button>
          <Text size="sm" ta="center">
            Already have an account?{' '}
            <Anchor component={Link} to="/login">
              Log in
            </Anchor>
          </Text>
        </Stack>
      </form>
    </AuthFrame>
  );
}
