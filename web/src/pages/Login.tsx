import { useMutation } from '@apollo/client';
import { Alert, Anchor, Button, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { resetForNewOrganization } from '../apollo';
import { formErrors, type FormErrors } from '../errors';
import { graphql } from '../gql';
import { AuthFrame } from './AuthFrame';

const LogIn = graphql(`
  mutation LogIn($input: LogInInput!) {
    logIn(input: $input) {
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

/** Where to go after signing in: only a path of this app. */
export function nextPath(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function LoginPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FormErrors>({ fields: {}, general: [] });
  const [logIn, { loading }] = useMutation(LogIn);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setErrors({ fields: {}, general: [] });
    const res = await logIn({ variables: { input: { email, password } } });
    if (res.errors?.length || !res.data) {
      setErrors(formErrors(res.errors, ['email', 'password']));
      return;
    }
    await resetForNewOrganization();
    navigate(nextPath(params.get('next')), { replace: true });
  }

  return (
    <AuthFrame title="Log in" subtitle="Welcome back. Log in to your store's dashboard.">
      <form onSubmit={submit} noValidate>
        <Stack>
          {errors.general.map((m) => (
            <Alert key={m} color="red" variant="light" role="alert">
              {m}
            </Alert>
          ))}
          <TextInput label="Email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={errors.fields.email} autoFocus />
          <PasswordInput label="Password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.currentTarget.value)} error={errors.fields.password} />
          <Button type="submit" loading={loading} fullWidth>
            Log in
          </Button>
          <Text size="sm" ta="center">
            New to Omnify?{' '}
            <Anchor component={Link} to="/signup">
              Create an account
            </Anchor>
          </Text>
        </Stack>
      </form>
    </AuthFrame>
  );
}
