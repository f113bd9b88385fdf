/* eslint-disable */
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** A calendar day, as `YYYY-MM-DD`, for example `2026-11-26`. */
  Date: { input: string; output: string; }
  /** A point in time, as an RFC 3339 string in UTC, for example `2026-11-26T09:30:00Z`. */
  DateTime: { input: string; output: string; }
  /** Any JSON value: an object, an array, a string, a number, a boolean or null. */
  JSON: { input: unknown; output: unknown; }
};

/** Input of `acceptInvitation`. */
export type AcceptInvitationInput = {
  /** The invitation's global id, from `me.invitations`. */
  invitationId: Scalars['ID']['input'];
};

/** The result of `acceptInvitation`. */
export type AcceptInvitationPayload = {
  __typename?: 'AcceptInvitationPayload';
  /** Your membership in the organization you joined; switch to it with `switchOrganization`. */
  membership: OrganizationMembership;
};

/** Input of `acceptLegalDocuments`. */
export type AcceptLegalDocumentsInput = {
  /** Ids of the current versions to accept (from `legalDocuments` or `me.legal.pending`), 1 to 20, each once. */
  documentIds: Array<Scalars['ID']['input']>;
};

/** The result of accepting documents. */
export type AcceptLegalDocumentsPayload = {
  __typename?: 'AcceptLegalDocumentsPayload';
  /** One record per accepted document, in the order of `documentIds`; accepting a version again returns its first record (for the data processing agreement: the organization's record, whoever signed it). */
  acceptances: Array<LegalAcceptance>;
  /** Where the caller stands now. */
  legal: ViewerLegal;
  /** The caller, whose `legal` changed: a normalized cache updates `me` from it. */
  viewer: Viewer;
};

/** An agent: an analyzer of the organization's marketing data that reports findings. */
export type Agent = Node & {
  __typename?: 'Agent';
  /** What the agent does. */
  description: Scalars['String']['output'];
  /** False when an admin turned it off. */
  enabled: Scalars['Boolean']['output'];
  /** The agent's executions, newest first. VIEWER or above; API keys with READ may call it. */
  executions: AgentExecutionConnection;
  /** The agent's global id. */
  id: Scalars['ID']['output'];
  /** The agent's key in the catalog, for example `roas-guardian`. */
  key: Scalars['String']['output'];
  /** Where the agent comes from. */
  kind: AgentKind;
  /** The newest execution; null before the first. VIEWER or above; API keys with READ may call it. */
  lastExecution?: Maybe<AgentExecution>;
  /** The agent's display name. */
  name: Scalars['String']['output'];
  /** The JSON Schema of the parameters `runAgent` accepts (an object of number, integer, string and boolean properties with defaults and bounds). */
  parametersSchema: Scalars['JSON']['output'];
  /** Where the agent stands. */
  status: AgentStatus;
};


/** An agent: an analyzer of the organization's marketing data that reports findings. */
export type AgentExecutionsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

/** A status change of one of the organization's agent executions. */
export type AgentActivity = {
  __typename?: 'AgentActivity';
  /** Its agent. */
  agent: Agent;
  /** When it changed. */
  at: Scalars['DateTime']['output'];
  /** The execution that changed. */
  execution: AgentExecution;
  /** The execution's status after the change. */
  status: AgentExecutionStatus;
};

/** One run of an agent, with its log of events. */
export type AgentExecution = Node & {
  __typename?: 'AgentExecution';
  /** The agent it runs. */
  agent: Agent;
  /** Why it failed, in words a shop owner can act on. */
  error?: Maybe<Scalars['String']['output']>;
  /** Its events in order, after `afterSequence`. VIEWER or above; API keys with READ may call it. */
  events: Array<AgentExecutionEvent>;
  /** When it ended. */
  finishedAt?: Maybe<Scalars['DateTime']['output']>;
  /** The execution's global id. */
  id: Scalars['ID']['output'];
  /** The parameters it runs with, defaults filled in. */
  parameters: Scalars['JSON']['output'];
  /** When it was queued. */
  queuedAt: Scalars['DateTime']['output'];
  /** The member who ran it; null when an API key did. */
  requestedBy?: Maybe<User>;
  /** The report (summary, findings, recommendations, metrics) once it SUCCEEDED. */
  result?: Maybe<Scalars['JSON']['output']>;
  /** When a worker last started it. */
  startedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Where it stands. */
  status: AgentExecutionStatus;
};


/** One run of an agent, with its log of events. */
export type AgentExecutionEventsArgs = {
  afterSequence?: InputMaybe<Scalars['Int']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

/** A page of an agent's executions, newest first. */
export type AgentExecutionConnection = {
  __typename?: 'AgentExecutionConnection';
  /** The executions of this page with their cursors. */
  edges: Array<AgentExecutionEdge>;
  /** The executions of this page. */
  nodes: Array<AgentExecution>;
  /** Where this page starts and ends. */
  pageInfo: PageInfo;
  /** How many executions the agent has, over all pages. */
  totalCount: Scalars['Int']['output'];
};

/** One execution of a page, with its cursor. */
export type AgentExecutionEdge = {
  __typename?: 'AgentExecutionEdge';
  /** Pass as `after` to continue after this one. */
  cursor: Scalars['String']['output'];
  /** The execution. */
  node: AgentExecution;
};

/** One entry of an execution's log. Sequences count 1, 2, 3, … without gaps. */
export type AgentExecutionEvent = {
  __typename?: 'AgentExecutionEvent';
  /** When it happened. */
  at: Scalars['DateTime']['output'];
  /** Details: a finding's figures, the result; null when there are none. */
  data?: Maybe<Scalars['JSON']['output']>;
  /** The global id of the execution it belongs to. */
  executionId: Scalars['ID']['output'];
  /** What happened, for the shop owner. */
  message: Scalars['String']['output'];
  /** Its place in the execution's log: 1 for the first event. */
  sequence: Scalars['Int']['output'];
  /** What it reports. */
  type: AgentExecutionEventType;
};

/** What an event of an execution's log reports. */
export type AgentExecutionEventType =
  /** The execution was cancelled. The last event. */
  | 'CANCELLED'
  /** The execution failed; the message says why. The last event. */
  | 'FAILED'
  /** Something the agent found; data holds severity, title, detail and figures. */
  | 'FINDING'
  /** A note about the work. */
  | 'LOG'
  /** The execution was queued (again, after a worker stopped, when it is not the first event). */
  | 'QUEUED'
  /** A worker started it. */
  | 'STARTED'
  /** A step ended. */
  | 'STEP_COMPLETED'
  /** A step began. */
  | 'STEP_STARTED'
  /** The execution finished; data holds the result. The last event. */
  | 'SUCCEEDED';

/** Where an execution stands. */
export type AgentExecutionStatus =
  /** Cancelled by a member. */
  | 'CANCELLED'
  /** Stopped with an error; see error. */
  | 'FAILED'
  /** Waiting for a worker. */
  | 'QUEUED'
  /** A worker is running it. */
  | 'RUNNING'
  /** Finished; see result. */
  | 'SUCCEEDED';

/** Where an agent comes from. */
export type AgentKind =
  /** Ships with Omnify and runs in its workers. */
  | 'BUILT_IN'
  /** Served by an agent service outside Omnify. */
  | 'EXTERNAL';

/** Where an agent stands, after its last execution. */
export type AgentStatus =
  /** An admin turned it off; it cannot be run. */
  | 'DISABLED'
  /** Its last execution failed; see lastExecution.error. */
  | 'ERROR'
  /** Enabled and not running; its last execution, if any, did not fail. */
  | 'IDLE'
  /** An execution is queued or running. */
  | 'RUNNING';

/** A partner API key. Its secret is shown once, when it is created. */
export type ApiKey = Node & {
  __typename?: 'ApiKey';
  /** When the key was created. */
  createdAt: Scalars['DateTime']['output'];
  /** Who created the key. */
  createdBy?: Maybe<User>;
  /** The key's global id. */
  id: Scalars['ID']['output'];
  /** When the key was last used, to the minute; null if never. */
  lastUsedAt?: Maybe<Scalars['DateTime']['output']>;
  /** The name given to the key. */
  name: Scalars['String']['output'];
  /** The start of the secret (`omk_` and the key's id), to recognise it; not a secret. */
  prefix: Scalars['String']['output'];
  /** True once the key is revoked; revoked keys fail at once. */
  revoked: Scalars['Boolean']['output'];
  /** When the key was revoked; null while it works. */
  revokedAt?: Maybe<Scalars['DateTime']['output']>;
  /** What the key may do. */
  scope: ApiKeyScope;
};

/** A page of an organization's API keys. */
export type ApiKeyConnection = {
  __typename?: 'ApiKeyConnection';
  /** The page's keys with their cursors. */
  edges: Array<ApiKeyEdge>;
  /** The page's keys. */
  nodes: Array<ApiKey>;
  /** Where the page starts and ends. */
  pageInfo: PageInfo;
  /** How many keys there are in all, revoked ones included. */
  totalCount: Scalars['Int']['output'];
};

/** An edge of an ApiKeyConnection. */
export type ApiKeyEdge = {
  __typename?: 'ApiKeyEdge';
  /** The cursor of this key, to pass as `after`. */
  cursor: Scalars['String']['output'];
  /** The key. */
  node: ApiKey;
};

/** What a partner API key may do. */
export type ApiKeyScope =
  /** Queries and subscriptions only. */
  | 'READ'
  /** Queries, subscriptions and mutations. */
  | 'READ_WRITE';

/** The result of signing up or logging in. The session token travels only in an HttpOnly cookie. */
export type AuthPayload = {
  __typename?: 'AuthPayload';
  /** The newly signed-in caller. */
  viewer: Viewer;
};

/** Input of `cancelAgentExecution`. */
export type CancelAgentExecutionInput = {
  /** The global id of the execution to cancel. */
  id: Scalars['ID']['input'];
};

/** Result of `cancelAgentExecution`. */
export type CancelAgentExecutionPayload = {
  __typename?: 'CancelAgentExecutionPayload';
  /** The execution: CANCELLED when it was queued, still RUNNING (until its next step) when it was running. */
  execution: AgentExecution;
};

/** Input of `changePassword`. */
export type ChangePasswordInput = {
  /** The current password. */
  currentPassword: Scalars['String']['input'];
  /** The new password: 10 to 256 characters, not equal to the email. */
  newPassword: Scalars['String']['input'];
};

/** The result of `changePassword`. */
export type ChangePasswordPayload = {
  __typename?: 'ChangePasswordPayload';
  /** How many of your other sessions were ended. */
  otherSessionsEnded: Scalars['Int']['output'];
  /** The caller, still signed in with this session. */
  viewer: Viewer;
};

/** Input of `connectIntegration`. */
export type ConnectIntegrationInput = {
  /** The platform's API key or private app token; checked with the platform before it is stored, encrypted. */
  apiKey: Scalars['String']['input'];
  /** The platform to connect. */
  platform: Platform;
  /** The Shopify domain of the store, for example `acme.myshopify.com`; required for Triple Whale. */
  shopDomain?: InputMaybe<Scalars['String']['input']>;
};

/** Result of `connectIntegration`. */
export type ConnectIntegrationPayload = {
  __typename?: 'ConnectIntegrationPayload';
  /** The integration, now CONNECTED. */
  integration: Integration;
};

/** A HubSpot contact. */
export type Contact = Node & {
  __typename?: 'Contact';
  /** When the contact was created in HubSpot. */
  createdAt: Scalars['DateTime']['output'];
  /** Email address; empty when HubSpot has none. */
  email: Scalars['String']['output'];
  /** First name; empty when HubSpot has none. */
  firstName: Scalars['String']['output'];
  /** HubSpot's id of the contact. */
  hubspotId: Scalars['String']['output'];
  /** Omnify's global id of the contact (HubSpot's own id is `hubspotId`). */
  id: Scalars['ID']['output'];
  /** Last name; empty when HubSpot has none. */
  lastName: Scalars['String']['output'];
};

/** A page of contacts, newest first. */
export type ContactConnection = {
  __typename?: 'ContactConnection';
  /** The contacts of this page with their cursors. */
  edges: Array<ContactEdge>;
  /** The contacts of this page. */
  nodes: Array<Contact>;
  /** Where this page starts and ends. */
  pageInfo: PageInfo;
  /** How many contacts there are over all pages. */
  totalCount: Scalars['Int']['output'];
};

/** One of a page of contacts, with its cursor. */
export type ContactEdge = {
  __typename?: 'ContactEdge';
  /** Pass as `after` to continue after this one. */
  cursor: Scalars['String']['output'];
  /** The item. */
  node: Contact;
};

/** Input of `createApiKey`. */
export type CreateApiKeyInput = {
  /** A name to recognise the key by (1 to 200 characters). */
  name: Scalars['String']['input'];
  /** What the key may do. */
  scope: ApiKeyScope;
};

/** The result of creating an API key. */
export type CreateApiKeyPayload = {
  __typename?: 'CreateApiKeyPayload';
  /** The new key. */
  apiKey: ApiKey;
  /** The key's secret, to send as `Authorization: Bearer <secret>`. Shown only this once: store it now. */
  secret: Scalars['String']['output'];
};

/** A HubSpot deal. */
export type Deal = Node & {
  __typename?: 'Deal';
  /** The amount, when set. */
  amount?: Maybe<Scalars['Float']['output']>;
  /** The expected or actual close date. */
  closeDate?: Maybe<Scalars['DateTime']['output']>;
  /** HubSpot's id of the deal. */
  hubspotId: Scalars['String']['output'];
  /** Omnify's global id of the deal (HubSpot's own id is `hubspotId`). */
  id: Scalars['ID']['output'];
  /** The deal's name. */
  name: Scalars['String']['output'];
  /** The pipeline id. */
  pipeline: Scalars['String']['output'];
  /** The deal stage id (for example `appointmentscheduled`, `closedwon`). */
  stage: Scalars['String']['output'];
  /** When the deal last changed in HubSpot. */
  updatedAt: Scalars['DateTime']['output'];
};

/** A page of deals, most recently updated first. */
export type DealConnection = {
  __typename?: 'DealConnection';
  /** The deals of this page with their cursors. */
  edges: Array<DealEdge>;
  /** The deals of this page. */
  nodes: Array<Deal>;
  /** Where this page starts and ends. */
  pageInfo: PageInfo;
  /** How many deals there are over all pages. */
  totalCount: Scalars['Int']['output'];
};

/** One of a page of deals, with its cursor. */
export type DealEdge = {
  __typename?: 'DealEdge';
  /** Pass as `after` to continue after this one. */
  cursor: Scalars['String']['output'];
  /** The item. */
  node: Deal;
};

/** Input of `disconnectIntegration`. */
export type DisconnectIntegrationInput = {
  /** The platform to disconnect. */
  platform: Platform;
  /** Also delete the data synced from it (default false: keep it). */
  purgeData?: InputMaybe<Scalars['Boolean']['input']>;
};

/** Result of `disconnectIntegration`. */
export type DisconnectIntegrationPayload = {
  __typename?: 'DisconnectIntegrationPayload';
  /** The integration, now DISCONNECTED. */
  integration: Integration;
};

/** A Klaviyo email campaign. */
export type EmailCampaign = Node & {
  __typename?: 'EmailCampaign';
  /** Omnify's global id of the campaign (Klaviyo's own id is `klaviyoId`). */
  id: Scalars['ID']['output'];
  /** Klaviyo's id of the campaign. */
  klaviyoId: Scalars['String']['output'];
  /** The campaign's name. */
  name: Scalars['String']['output'];
  /** When it was or will be sent. */
  sendTime?: Maybe<Scalars['DateTime']['output']>;
  /** Klaviyo's status (for example `Sent`, `Draft`, `Scheduled`). */
  status: Scalars['String']['output'];
};

/** A page of email campaigns, most recent first. */
export type EmailCampaignConnection = {
  __typename?: 'EmailCampaignConnection';
  /** The email campaigns of this page with their cursors. */
  edges: Array<EmailCampaignEdge>;
  /** The email campaigns of this page. */
  nodes: Array<EmailCampaign>;
  /** Where this page starts and ends. */
  pageInfo: PageInfo;
  /** How many email campaigns there are over all pages. */
  totalCount: Scalars['Int']['output'];
};

/** One of a page of email campaigns, with its cursor. */
export type EmailCampaignEdge = {
  __typename?: 'EmailCampaignEdge';
  /** Pass as `after` to continue after this one. */
  cursor: Scalars['String']['output'];
  /** The item. */
  node: EmailCampaign;
};

/** A Klaviyo flow (an automated email series). */
export type EmailFlow = Node & {
  __typename?: 'EmailFlow';
  /** Omnify's global id of the flow (Klaviyo's own id is `klaviyoId`). */
  id: Scalars['ID']['output'];
  /** Klaviyo's id of the flow. */
  klaviyoId: Scalars['String']['output'];
  /** The flow's name. */
  name: Scalars['String']['output'];
  /** Klaviyo's status (`live`, `draft`, `manual`). */
  status: Scalars['String']['output'];
  /** What starts the flow (for example `Added to List`, `Metric`). */
  triggerType: Scalars['String']['output'];
};

/** A page of email flows, by name. */
export type EmailFlowConnection = {
  __typename?: 'EmailFlowConnection';
  /** The email flows of this page with their cursors. */
  edges: Array<EmailFlowEdge>;
  /** The email flows of this page. */
  nodes: Array<EmailFlow>;
  /** Where this page starts and ends. */
  pageInfo: PageInfo;
  /** How many email flows there are over all pages. */
  totalCount: Scalars['Int']['output'];
};

/** One of a page of email flows, with its cursor. */
export type EmailFlowEdge = {
  __typename?: 'EmailFlowEdge';
  /** Pass as `after` to continue after this one. */
  cursor: Scalars['String']['output'];
  /** The item. */
  node: EmailFlow;
};

/** One email campaign's or flow's part of a period's attributed email revenue. */
export type EmailRevenueSource = {
  __typename?: 'EmailRevenueSource';
  /** Orders Klaviyo attributes to its emails sent in the period. */
  conversions: Scalars['Float']['output'];
  /** Global id of this figure: the campaign or flow and the period, since the figures differ by period. */
  id: Scalars['ID']['output'];
  /** Whether this is a campaign or a flow. */
  kind: EmailRevenueSourceKind;
  /** Klaviyo's id of the campaign or flow. */
  klaviyoId: Scalars['String']['output'];
  /** The campaign's or flow's name (its Klaviyo id when unknown). */
  name: Scalars['String']['output'];
  /** Revenue Klaviyo attributes to its emails sent in the period. */
  revenue: Scalars['Float']['output'];
  /** Its share of the period's `emailRevenue`, from 0 to 1 (0 when that is 0). */
  share: Scalars['Float']['output'];
};

/** What kind of email an `EmailRevenueSource` is. */
export type EmailRevenueSourceKind =
  /** A one-off email campaign. */
  | 'CAMPAIGN'
  /** An automated flow. */
  | 'FLOW';

/** The organization's connection to one platform. Credentials are never readable. */
export type Integration = Node & {
  __typename?: 'Integration';
  /** The platform account this connection reads (a shop domain or account name). */
  accountLabel?: Maybe<Scalars['String']['output']>;
  /** When the credential was stored. */
  connectedAt?: Maybe<Scalars['DateTime']['output']>;
  /** True for a connection of the demo organization: it shows generated sample data, stores no credential and never calls the platform; its syncs regenerate the sample data to end yesterday. Disconnecting it works as for any other. */
  demo: Scalars['Boolean']['output'];
  /** The integration's global id. */
  id: Scalars['ID']['output'];
  /** Why the connection is in ERROR, in words a shop owner can act on. */
  lastError?: Maybe<Scalars['String']['output']>;
  /** When the last successful sync finished. */
  lastSyncedAt?: Maybe<Scalars['DateTime']['output']>;
  /** The platform. */
  platform: Platform;
  /** Where the connection stands. */
  status: IntegrationStatus;
  /** The sync runs, newest first (the last 50 are kept). VIEWER or above; API keys with READ may call it. */
  syncs: SyncRunConnection;
};


/** The organization's connection to one platform. Credentials are never readable. */
export type IntegrationSyncsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

/** A change in an integration: a status change or the progress of a sync. */
export type IntegrationEvent = {
  __typename?: 'IntegrationEvent';
  /** When it happened. */
  at: Scalars['DateTime']['output'];
  /** The event's id, unique among all events (two events never share one); not usable with `node`. */
  id: Scalars['ID']['output'];
  /** The platform. */
  platform: Platform;
  /** The integration's status after the change. */
  status: IntegrationStatus;
  /** The sync the change belongs to, if any. */
  sync?: Maybe<IntegrationSync>;
};

/** Where a connection to a platform stands. */
export type IntegrationStatus =
  /** Connected; data syncs on a schedule and on demand. */
  | 'CONNECTED'
  /** Not connected (or disconnected). */
  | 'DISCONNECTED'
  /** The platform refused the credential or the last sync failed; see lastError. */
  | 'ERROR'
  /** A sync is running now. */
  | 'SYNCING';

/** One run of pulling data from a platform. */
export type IntegrationSync = Node & {
  __typename?: 'IntegrationSync';
  /** Why it failed. */
  error?: Maybe<Scalars['String']['output']>;
  /** When it finished. */
  finishedAt?: Maybe<Scalars['DateTime']['output']>;
  /** The run's global id. */
  id: Scalars['ID']['output'];
  /** The platform synced. */
  platform: Platform;
  /** How many records it wrote (inserted or updated). */
  recordsWritten: Scalars['Int']['output'];
  /** When a worker started it. */
  startedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Where the run stands. */
  status: SyncStatus;
};

/**
 * An invitation to join an organization. The invitee sees it in `me.invitations` after signing in
 * (or signing up) with the invited email address, and accepts it with `acceptInvitation`; nobody
 * becomes a member without accepting. It can be accepted for 7 days.
 */
export type Invitation = Node & {
  __typename?: 'Invitation';
  /** When the invitation was sent. */
  createdAt: Scalars['DateTime']['output'];
  /** The invited email address. */
  email: Scalars['String']['output'];
  /** When it can no longer be accepted. */
  expiresAt: Scalars['DateTime']['output'];
  /** The invitation's global id. */
  id: Scalars['ID']['output'];
  /** The organization the invitee is asked to join. */
  organization: Organization;
  /** The role the invitee gets on accepting. */
  role: Role;
};

/** A page of open invitations. */
export type InvitationConnection = {
  __typename?: 'InvitationConnection';
  /** The page's invitations with their cursors. */
  edges: Array<InvitationEdge>;
  /** The page's invitations. */
  nodes: Array<Invitation>;
  /** Where the page starts and ends. */
  pageInfo: PageInfo;
  /** How many open invitations there are in all. */
  totalCount: Scalars['Int']['output'];
};

/** An edge of an InvitationConnection. */
export type InvitationEdge = {
  __typename?: 'InvitationEdge';
  /** The cursor of this invitation, to pass as `after`. */
  cursor: Scalars['String']['output'];
  /** The invitation. */
  node: Invitation;
};

/** Input of `inviteMember`. */
export type InviteMemberInput = {
  /** Email address of the person to invite; they need not have an Omnify account yet. */
  email: Scalars['String']['input'];
  /** The role they get on accepting; only an OWNER can invite an OWNER. */
  role: Role;
};

/** The result of `inviteMember`. */
export type InviteMemberPayload = {
  __typename?: 'InviteMemberPayload';
  /** The open invitation; its answer is the same whether or not the address has an account. */
  invitation: Invitation;
};

/** The record that a user accepted a version of a legal document, for themself or, as an OWNER, on behalf of the organization. Records are never changed or deleted. */
export type LegalAcceptance = Node & {
  __typename?: 'LegalAcceptance';
  /** When it was accepted. */
  acceptedAt: Scalars['DateTime']['output'];
  /** The accepted version. */
  document: LegalDocument;
  /** The record's global id. */
  id: Scalars['ID']['output'];
  /** The IP address it was accepted from. */
  ip: Scalars['String']['output'];
  /** The organization the user acted in; for an ORGANIZATION acceptance, the organization that is bound by it. Null when it no longer exists. */
  organization?: Maybe<Organization>;
  /** The user's role in that organization when accepting. */
  role: Role;
  /** Whether the user accepted for themself (PERSONAL) or signed for the organization (ORGANIZATION). */
  scope: LegalAcceptanceScope;
  /** Who accepted it. */
  user?: Maybe<User>;
  /** The browser's user agent, truncated to 512 bytes. */
  userAgent: Scalars['String']['output'];
};

/** A page of acceptance records, newest first. */
export type LegalAcceptanceConnection = {
  __typename?: 'LegalAcceptanceConnection';
  /** The records of this page with their cursors. */
  edges: Array<LegalAcceptanceEdge>;
  /** The records of this page. */
  nodes: Array<LegalAcceptance>;
  /** Where this page starts and ends. */
  pageInfo: PageInfo;
  /** How many records the whole list holds. */
  totalCount: Scalars['Int']['output'];
};

/** One acceptance record in a page of a list, with its cursor. */
export type LegalAcceptanceEdge = {
  __typename?: 'LegalAcceptanceEdge';
  /** The cursor to continue after this record. */
  cursor: Scalars['String']['output'];
  /** The record. */
  node: LegalAcceptance;
};

/** On whose behalf a legal document was accepted. */
export type LegalAcceptanceScope =
  /** An OWNER accepted it on behalf of the organization (the data processing agreement); it counts for every member of that organization. */
  | 'ORGANIZATION'
  /** A person accepted it for themself (terms of service, privacy policy); it counts in every organization they belong to. */
  | 'PERSONAL';

/** One published, immutable version of a legal document. */
export type LegalDocument = Node & {
  __typename?: 'LegalDocument';
  /** The text, in Markdown. */
  body: Scalars['String']['output'];
  /** The SHA-256 of the body, in hex; recorded with every acceptance as proof of the exact text. */
  bodySha256: Scalars['String']['output'];
  /** The global id of this version; accept it with `acceptLegalDocuments`. */
  id: Scalars['ID']['output'];
  /** Which document this is. */
  kind: LegalDocumentKind;
  /** When this version was published. */
  publishedAt: Scalars['DateTime']['output'];
  /** Whether the caller must accept it in its role (the data processing agreement: only an OWNER, who signs it for the organization); for an anonymous caller, whether a new account, which owns its organization, must. It does not say whether it is accepted already; `me.legal.pending` does. */
  required: Scalars['Boolean']['output'];
  /** The title. */
  title: Scalars['String']['output'];
  /** The version number, from 1. */
  version: Scalars['Int']['output'];
};

/** The kinds of legal documents a store's people accept. */
export type LegalDocumentKind =
  /** The data processing agreement; signed once per organization and version by one of its OWNERs, on the organization's behalf. */
  | 'DATA_PROCESSING_AGREEMENT'
  /** Omnify's privacy policy; required of everyone. */
  | 'PRIVACY_POLICY'
  /** Omnify's terms of service; required of everyone. */
  | 'TERMS_OF_SERVICE';

/** Input of `logIn`. */
export type LogInInput = {
  /** Email address. */
  email: Scalars['String']['input'];
  /** Password. */
  password: Scalars['String']['input'];
};

/** The result of `logOut`. */
export type LogOutPayload = {
  __typename?: 'LogOutPayload';
  /** True when a session was ended; false when the caller had none (anonymous, or an API key). */
  loggedOut: Scalars['Boolean']['output'];
};

/** The figures of one day. */
export type MarketingDay = {
  __typename?: 'MarketingDay';
  /** Ad spend. */
  adSpend: Scalars['Float']['output'];
  /** The calendar day (UTC). */
  date: Scalars['Date']['output'];
  /** Revenue Klaviyo attributes to the email campaigns and flows sent that day. */
  emailRevenue: Scalars['Float']['output'];
  /** Value of the orders Klaviyo recorded that day ("Placed Order"), not email's share. */
  klaviyoOrderRevenue: Scalars['Float']['output'];
  /** Orders. */
  orders: Scalars['Int']['output'];
  /** Revenue. */
  revenue: Scalars['Float']['output'];
  /** Return on ad spend. */
  roas: Scalars['Float']['output'];
};

/** The dashboard's headline figures for a period, with the period before it for comparison. */
export type MarketingSummary = {
  __typename?: 'MarketingSummary';
  /** Ad spend over the period. */
  adSpend: Scalars['Float']['output'];
  /** Average order value over the period. */
  averageOrderValue: Scalars['Float']['output'];
  /** The currency of the amounts (ISO 4217). */
  currency: Scalars['String']['output'];
  /** Every day of the period, zeros where there is no data. */
  daily: Array<MarketingDay>;
  /** Revenue Klaviyo attributes to the email campaigns and flows sent in the period (its Reporting API, by send date, as Klaviyo's UI shows it). */
  emailRevenue: Scalars['Float']['output'];
  /** The campaigns that earned the most of `emailRevenue`, highest first. */
  emailRevenueByCampaign: Array<EmailRevenueSource>;
  /** The flows that earned the most of `emailRevenue`, highest first. */
  emailRevenueByFlow: Array<EmailRevenueSource>;
  /** Value of the orders Klaviyo recorded in the period (its "Placed Order" events): on a store whose shop sends every order to Klaviyo this is the store's whole revenue, not email's share; see `emailRevenue`. */
  klaviyoOrderRevenue: Scalars['Float']['output'];
  /** Orders Klaviyo recorded in the period (its "Placed Order" events): every order the shop sends to Klaviyo, not email's share. */
  klaviyoOrders: Scalars['Int']['output'];
  /** Orders over the period. */
  orders: Scalars['Int']['output'];
  /** The same figures for the period of equal length just before. */
  previousPeriod: MarketingTotals;
  /** Revenue over the period. */
  revenue: Scalars['Float']['output'];
  /** Return on ad spend over the period. */
  roas: Scalars['Float']['output'];
};


/** The dashboard's headline figures for a period, with the period before it for comparison. */
export type MarketingSummaryEmailRevenueByCampaignArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** The dashboard's headline figures for a period, with the period before it for comparison. */
export type MarketingSummaryEmailRevenueByFlowArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
};

/** One set of marketing figures over a period. */
export type MarketingTotals = {
  __typename?: 'MarketingTotals';
  /** Ad spend across channels. */
  adSpend: Scalars['Float']['output'];
  /** Average order value: revenue / orders (0 without orders). */
  averageOrderValue: Scalars['Float']['output'];
  /** Revenue Klaviyo attributes to the email campaigns and flows sent in the period (its Reporting API, by send date, as Klaviyo's UI shows it). */
  emailRevenue: Scalars['Float']['output'];
  /** Value of the orders Klaviyo recorded (its "Placed Order" events): not email's share; see `emailRevenue`. */
  klaviyoOrderRevenue: Scalars['Float']['output'];
  /** Orders Klaviyo recorded (its "Placed Order" events): every order the shop sends to Klaviyo, not email's share. */
  klaviyoOrders: Scalars['Int']['output'];
  /** Number of orders. */
  orders: Scalars['Int']['output'];
  /** Revenue (Triple Whale sales). */
  revenue: Scalars['Float']['output'];
  /** Return on ad spend: revenue / ad spend (0 without spend). */
  roas: Scalars['Float']['output'];
};

/** A user's membership in an organization. */
export type Member = Node & {
  __typename?: 'Member';
  /** The membership's global id. */
  id: Scalars['ID']['output'];
  /** When the user joined the organization. */
  joinedAt: Scalars['DateTime']['output'];
  /** The member's role in the organization. */
  role: Role;
  /** The member. */
  user: User;
};

/** A page of an organization's members. */
export type MemberConnection = {
  __typename?: 'MemberConnection';
  /** The page's members with their cursors. */
  edges: Array<MemberEdge>;
  /** The page's members. */
  nodes: Array<Member>;
  /** Where the page starts and ends. */
  pageInfo: PageInfo;
  /** How many members the organization has in all. */
  totalCount: Scalars['Int']['output'];
};

/** An edge of a MemberConnection. */
export type MemberEdge = {
  __typename?: 'MemberEdge';
  /** The cursor of this member, to pass as `after`. */
  cursor: Scalars['String']['output'];
  /** The member. */
  node: Member;
};

/** The root of every change. */
export type Mutation = {
  __typename?: 'Mutation';
  /** Accept an invitation addressed to your email address and join its organization. Signed-in users only. */
  acceptInvitation: AcceptInvitationPayload;
  /** Accept the current versions of legal documents. The terms and privacy policy are accepted for the caller; the data processing agreement is signed for the active organization, by an OWNER only (anyone else gets FORBIDDEN and nothing of the request is recorded). Records are kept forever; accepting again changes nothing. Any signed-in member; API keys cannot accept. */
  acceptLegalDocuments: AcceptLegalDocumentsPayload;
  /**
   * Cancel an execution: a queued one at once, a running one at its next
   * step; one that ended gets CONFLICT. MEMBER or above (a READ_WRITE API key
   * acts as ADMIN; READ keys may not).
   */
  cancelAgentExecution: CancelAgentExecutionPayload;
  /** Change your password; ends every other session of yours. Signed-in users only. */
  changePassword: ChangePasswordPayload;
  /**
   * Connect a platform: the key is checked with the platform, then stored
   * encrypted. OWNER or ADMIN (a READ_WRITE API key acts as ADMIN; READ keys
   * may not).
   */
  connectIntegration: ConnectIntegrationPayload;
  /** Create a partner API key for the active organization. OWNER or ADMIN; signed-in users only. */
  createApiKey: CreateApiKeyPayload;
  /**
   * Forget a platform's credential; synced data stays unless purgeData is
   * true. OWNER or ADMIN (a READ_WRITE API key acts as ADMIN; READ keys may
   * not).
   */
  disconnectIntegration: DisconnectIntegrationPayload;
  /** Invite someone by email to the active organization; they join when they accept. OWNER or ADMIN; signed-in users only; at most 50 open invitations. */
  inviteMember: InviteMemberPayload;
  /** Sign in with email and password (sets the session cookie). Anyone. Throttled after repeated failures. */
  logIn: AuthPayload;
  /** End the current session and clear the cookie. Anyone; never fails for want of a session. */
  logOut: LogOutPayload;
  /** Remove a member from the active organization. OWNER or ADMIN, or any member removing themselves; signed-in users only. */
  removeMember: RemoveMemberPayload;
  /** Revoke an API key of the active organization; it fails at once. OWNER or ADMIN; signed-in users only. */
  revokeApiKey: RevokeApiKeyPayload;
  /** Revoke an open invitation of the active organization. OWNER or ADMIN; signed-in users only. */
  revokeInvitation: RevokeInvitationPayload;
  /**
   * Queue an execution of an agent. Parameters are checked against its
   * schema (BAD_USER_INPUT naming `parameters.<name>`); an agent that is
   * disabled or already has an execution queued or running gets CONFLICT.
   * MEMBER or above (a READ_WRITE API key acts as ADMIN; READ keys may not).
   */
  runAgent: RunAgentPayload;
  /**
   * Turn an agent on or off. OWNER or ADMIN (a READ_WRITE API key acts as
   * ADMIN; READ keys may not).
   */
  setAgentEnabled: SetAgentEnabledPayload;
  /** Create an account and a new organization you own, and sign in (sets the session cookie). Anyone. Either everything is created or nothing is. */
  signUp: AuthPayload;
  /**
   * Make another of your organizations the active one for this session. Signed-in users only.
   * Organization-scoped root fields (`apiKeys`, `invitations`, integrations, ...) answer for the
   * active organization, so a client resets its cache when it switches.
   */
  switchOrganization: SwitchOrganizationPayload;
  /**
   * Queue a sync of a connected platform now; returns the queued (or already
   * running) run. MEMBER or above (a READ_WRITE API key acts as ADMIN; READ
   * keys may not).
   */
  syncIntegration: SyncIntegrationPayload;
  /** Change a member's role. OWNER or ADMIN; signed-in users only; only an OWNER changes OWNER roles. */
  updateMemberRole: UpdateMemberRolePayload;
};


/** The root of every change. */
export type MutationAcceptInvitationArgs = {
  input: AcceptInvitationInput;
};


/** The root of every change. */
export type MutationAcceptLegalDocumentsArgs = {
  input: AcceptLegalDocumentsInput;
};


/** The root of every change. */
export type MutationCancelAgentExecutionArgs = {
  input: CancelAgentExecutionInput;
};


/** The root of every change. */
export type MutationChangePasswordArgs = {
  input: ChangePasswordInput;
};


/** The root of every change. */
export type MutationConnectIntegrationArgs = {
  input: ConnectIntegrationInput;
};


/** The root of every change. */
export type MutationCreateApiKeyArgs = {
  input: CreateApiKeyInput;
};


/** The root of every change. */
export type MutationDisconnectIntegrationArgs = {
  input: DisconnectIntegrationInput;
};


/** The root of every change. */
export type MutationInviteMemberArgs = {
  input: InviteMemberInput;
};


/** The root of every change. */
export type MutationLogInArgs = {
  input: LogInInput;
};


/** The root of every change. */
export type MutationRemoveMemberArgs = {
  input: RemoveMemberInput;
};


/** The root of every change. */
export type MutationRevokeApiKeyArgs = {
  input: RevokeApiKeyInput;
};


/** The root of every change. */
export type MutationRevokeInvitationArgs = {
  input: RevokeInvitationInput;
};


/** The root of every change. */
export type MutationRunAgentArgs = {
  input: RunAgentInput;
};


/** The root of every change. */
export type MutationSetAgentEnabledArgs = {
  input: SetAgentEnabledInput;
};


/** The root of every change. */
export type MutationSignUpArgs = {
  input: SignUpInput;
};


/** The root of every change. */
export type MutationSwitchOrganizationArgs = {
  input: SwitchOrganizationInput;
};


/** The root of every change. */
export type MutationSyncIntegrationArgs = {
  input: SyncIntegrationInput;
};


/** The root of every change. */
export type MutationUpdateMemberRoleArgs = {
  input: UpdateMemberRoleInput;
};

/**
 * An object with a global id that `node(id:)` fetches again. Ids are opaque and
 * unique across all types; a client caches objects by `__typename` and `id`.
 */
export type Node = {
  /** The object's global id. */
  id: Scalars['ID']['output'];
};

/** A store's account. Everything else in Omnify belongs to one organization. */
export type Organization = Node & {
  __typename?: 'Organization';
  /** When the organization was created. */
  createdAt: Scalars['DateTime']['output'];
  /** True for the demo organization, which Omnify creates with sample data on a new installation (and `omnify demo` resets): its integrations are demo connections that never call a platform. Any member of the organization (API keys: of their own organization). */
  demo: Scalars['Boolean']['output'];
  /** The organization's global id. */
  id: Scalars['ID']['output'];
  /** Where the organization stands with the documents it accepts as a whole. Any member of the organization (API keys: of their own organization); NOT_FOUND for anyone else. */
  legal: OrganizationLegal;
  /** The organization's members, oldest first. Any member of the organization (API keys: of their own organization); NOT_FOUND for anyone else. */
  members: MemberConnection;
  /** The organization's name. */
  name: Scalars['String']['output'];
};


/** A store's account. Everything else in Omnify belongs to one organization. */
export type OrganizationMembersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

/** Where an organization stands with the documents it accepts as a whole (the data processing agreement). */
export type OrganizationLegal = {
  __typename?: 'OrganizationLegal';
  /** The current versions the organization has not accepted yet, for every member to see; only a member with the `signableBy` role can accept them, and nobody else is blocked by them. */
  pending: Array<OrganizationLegalPending>;
  /** True when the organization has nothing pending. */
  upToDate: Scalars['Boolean']['output'];
};

/** A current document version an organization has not accepted yet. */
export type OrganizationLegalPending = {
  __typename?: 'OrganizationLegalPending';
  /** The version to accept, with `acceptLegalDocuments`. */
  document: LegalDocument;
  /** Since when it is pending: when the version was published. */
  pendingSince: Scalars['DateTime']['output'];
  /** The role that accepts it on the organization's behalf (OWNER). */
  signableBy: Role;
};

/** One of the organizations the caller belongs to, with the caller's role there. */
export type OrganizationMembership = Node & {
  __typename?: 'OrganizationMembership';
  /** The membership's global id (another id than the same membership's `Member.id`). */
  id: Scalars['ID']['output'];
  /** The organization. */
  organization: Organization;
  /** The caller's role in it. */
  role: Role;
};

/** A page of the caller's organizations. */
export type OrganizationMembershipConnection = {
  __typename?: 'OrganizationMembershipConnection';
  /** The page's memberships with their cursors. */
  edges: Array<OrganizationMembershipEdge>;
  /** The page's memberships. */
  nodes: Array<OrganizationMembership>;
  /** Where the page starts and ends. */
  pageInfo: PageInfo;
  /** How many organizations the caller belongs to in all. */
  totalCount: Scalars['Int']['output'];
};

/** An edge of an OrganizationMembershipConnection. */
export type OrganizationMembershipEdge = {
  __typename?: 'OrganizationMembershipEdge';
  /** The cursor of this membership, to pass as `after`. */
  cursor: Scalars['String']['output'];
  /** The membership. */
  node: OrganizationMembership;
};

/**
 * Where a page of a connection starts and ends (the GraphQL Cursor Connections
 * specification). Every connection takes `first` (1 to 100, default 20 unless
 * the field says otherwise) and `after` (an `endCursor`), and pages forward.
 */
export type PageInfo = {
  __typename?: 'PageInfo';
  /** The cursor of the last item: pass it as `after` for the next page; null on an empty page. */
  endCursor?: Maybe<Scalars['String']['output']>;
  /** True when another page follows this one. */
  hasNextPage: Scalars['Boolean']['output'];
  /** True when this page continues after a cursor, so items come before it. */
  hasPreviousPage: Scalars['Boolean']['output'];
  /** The cursor of the first item of this page; null on an empty page. */
  startCursor?: Maybe<Scalars['String']['output']>;
};

/** Deals per stage. */
export type PipelineStage = {
  __typename?: 'PipelineStage';
  /** Sum of their amounts. */
  amount: Scalars['Float']['output'];
  /** Deals in the stage. */
  count: Scalars['Int']['output'];
  /** The stage id. */
  stage: Scalars['String']['output'];
};

/** The sales pipeline at a glance. */
export type PipelineSummary = {
  __typename?: 'PipelineSummary';
  /** Sum of the amounts of open deals (not closed won or lost). */
  openAmount: Scalars['Float']['output'];
  /** Every stage that has deals. */
  stages: Array<PipelineStage>;
};

/** The marketing platforms a store can connect. */
export type Platform =
  /** HubSpot CRM: deals and contacts. */
  | 'HUBSPOT'
  /** Klaviyo: email campaigns, flows and the revenue they bring. */
  | 'KLAVIYO'
  /** Triple Whale: attribution, ad spend, revenue and profit. */
  | 'TRIPLE_WHALE';

/** The root of every read. Each module adds its fields in its own schema file. */
export type Query = {
  __typename?: 'Query';
  /** One of the organization's agents; null with NOT_FOUND when it is not the organization's. VIEWER or above; API keys with READ may call it. */
  agent?: Maybe<Agent>;
  /** One of the organization's agent executions; null with NOT_FOUND when it is not the organization's. VIEWER or above; API keys with READ may call it. */
  agentExecution?: Maybe<AgentExecution>;
  /** The organization's agents, by key. VIEWER or above; API keys with READ may call it. */
  agents: Array<Agent>;
  /** The active organization's API keys, revoked ones included, newest first. OWNER or ADMIN; signed-in users only. */
  apiKeys: ApiKeyConnection;
  /** HubSpot contacts, newest first. VIEWER or above; API keys with READ may call it. */
  contacts: ContactConnection;
  /** HubSpot deals, most recently updated first. VIEWER or above; API keys with READ may call it. */
  deals: DealConnection;
  /** Klaviyo email campaigns, most recent first. VIEWER or above; API keys with READ may call it. */
  emailCampaigns: EmailCampaignConnection;
  /** Klaviyo flows, by name. VIEWER or above; API keys with READ may call it. */
  emailFlows: EmailFlowConnection;
  /** The organization's integrations: always one per platform. VIEWER or above; API keys with READ may call it. */
  integrations: Array<Integration>;
  /** The active organization's open invitations, newest first. OWNER or ADMIN; signed-in users only. */
  invitations: InvitationConnection;
  /** The active organization's acceptance records, newest first: who accepted what, when and from where; the organization's own acceptances (scope ORGANIZATION) beside the personal acceptances made in it. OWNER only; signed-in users only. */
  legalAcceptances: LegalAcceptanceConnection;
  /** Any published version of a legal document, for history; null with NOT_FOUND when there is no such version. Anyone may call it. */
  legalDocument?: Maybe<LegalDocument>;
  /** The current version of each legal document. Anyone may call it, signed in or not. */
  legalDocuments: Array<LegalDocument>;
  /** Revenue, spend and email figures for a period of at most 366 days, with the period before it. VIEWER or above; API keys with READ may call it. */
  marketingSummary: MarketingSummary;
  /** The caller: null when anonymous. Anyone. */
  me?: Maybe<Viewer>;
  /**
   * Fetch any object by its global id, with the same rules as the field that
   * returned it: null with NOT_FOUND when it does not exist or is not yours to
   * see (an id of another organization included), UNAUTHENTICATED for an
   * anonymous caller (legal documents excepted: they are public), and
   * BAD_USER_INPUT when the id is malformed. Anyone may call it.
   */
  node?: Maybe<Node>;
  /** Deals per stage and the open pipeline amount. VIEWER or above; API keys with READ may call it. */
  pipelineSummary: PipelineSummary;
  /** Facts about the server that answers: its version and when it started. */
  serverInfo: ServerInfo;
};


/** The root of every read. Each module adds its fields in its own schema file. */
export type QueryAgentArgs = {
  id: Scalars['ID']['input'];
};


/** The root of every read. Each module adds its fields in its own schema file. */
export type QueryAgentExecutionArgs = {
  id: Scalars['ID']['input'];
};


/** The root of every read. Each module adds its fields in its own schema file. */
export type QueryApiKeysArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** The root of every read. Each module adds its fields in its own schema file. */
export type QueryContactsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** The root of every read. Each module adds its fields in its own schema file. */
export type QueryDealsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  stage?: InputMaybe<Scalars['String']['input']>;
};


/** The root of every read. Each module adds its fields in its own schema file. */
export type QueryEmailCampaignsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** The root of every read. Each module adds its fields in its own schema file. */
export type QueryEmailFlowsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** The root of every read. Each module adds its fields in its own schema file. */
export type QueryInvitationsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** The root of every read. Each module adds its fields in its own schema file. */
export type QueryLegalAcceptancesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** The root of every read. Each module adds its fields in its own schema file. */
export type QueryLegalDocumentArgs = {
  kind: LegalDocumentKind;
  version: Scalars['Int']['input'];
};


/** The root of every read. Each module adds its fields in its own schema file. */
export type QueryMarketingSummaryArgs = {
  from: Scalars['Date']['input'];
  to: Scalars['Date']['input'];
};


/** The root of every read. Each module adds its fields in its own schema file. */
export type QueryNodeArgs = {
  id: Scalars['ID']['input'];
};

/** Input of `removeMember`. */
export type RemoveMemberInput = {
  /** The global id of the user to remove (`Member.user.id`); your own to leave the organization. */
  userId: Scalars['ID']['input'];
};

/** The result of `removeMember`. */
export type RemoveMemberPayload = {
  __typename?: 'RemoveMemberPayload';
  /** The organization the member was removed from, to refetch its `members`. */
  organization: Organization;
  /** The global id of the Member removed: drop it from cached member lists. */
  removedMemberId: Scalars['ID']['output'];
};

/** Input of `revokeApiKey`. */
export type RevokeApiKeyInput = {
  /** The key's global id. */
  id: Scalars['ID']['input'];
};

/** The result of `revokeApiKey`. */
export type RevokeApiKeyPayload = {
  __typename?: 'RevokeApiKeyPayload';
  /** The revoked key, with its `revokedAt`. */
  apiKey: ApiKey;
};

/** Input of `revokeInvitation`. */
export type RevokeInvitationInput = {
  /** The invitation's global id, from `invitations`. */
  invitationId: Scalars['ID']['input'];
};

/** The result of `revokeInvitation`. */
export type RevokeInvitationPayload = {
  __typename?: 'RevokeInvitationPayload';
  /** The invitation that was revoked; it can no longer be accepted. */
  invitation: Invitation;
};

/** A member's role in an organization, from most to least powerful. */
export type Role =
  /** Manages members (except owners), API keys and integrations. */
  | 'ADMIN'
  /** Works with the organization's data and agents. */
  | 'MEMBER'
  /** Everything, including managing owners and deleting the organization's data. */
  | 'OWNER'
  /** Reads the organization's data. */
  | 'VIEWER';

/** Input of `runAgent`. */
export type RunAgentInput = {
  /** The global id of the agent to run. */
  agentId: Scalars['ID']['input'];
  /** The parameters, as the agent's `parametersSchema` describes them; omitted ones take their defaults. */
  parameters?: InputMaybe<Scalars['JSON']['input']>;
};

/** Result of `runAgent`. */
export type RunAgentPayload = {
  __typename?: 'RunAgentPayload';
  /** The queued execution. */
  execution: AgentExecution;
};

/** Facts about the running server. */
export type ServerInfo = {
  __typename?: 'ServerInfo';
  /** When this server process started. */
  startedAt: Scalars['DateTime']['output'];
  /** The version of the omnify binary, for example `v1.4.0` or `dev`. */
  version: Scalars['String']['output'];
};

/** Input of `setAgentEnabled`. */
export type SetAgentEnabledInput = {
  /** The global id of the agent. */
  agentId: Scalars['ID']['input'];
  /** True to turn it on, false to turn it off. */
  enabled: Scalars['Boolean']['input'];
};

/** Result of `setAgentEnabled`. */
export type SetAgentEnabledPayload = {
  __typename?: 'SetAgentEnabledPayload';
  /** The agent after the change. */
  agent: Agent;
};

/** Input of `signUp`. */
export type SignUpInput = {
  /** Ids of the legal documents the new user accepts while signing up (optional; at most 20). */
  acceptedLegalDocumentIds?: InputMaybe<Array<Scalars['ID']['input']>>;
  /** Email address; trimmed and lower-cased. Must not belong to another account. */
  email: Scalars['String']['input'];
  /** Your name (1 to 200 characters). */
  name: Scalars['String']['input'];
  /** Name of the new organization you will own (1 to 200 characters). */
  organizationName: Scalars['String']['input'];
  /** Password of 10 to 256 characters, not equal to the email. */
  password: Scalars['String']['input'];
};

/** The root of live updates, delivered over WebSocket or server-sent events. */
export type Subscription = {
  __typename?: 'Subscription';
  /**
   * Every status change of the organization's agent executions, as it
   * happens. A client that falls too far behind gets an error coded
   * SLOW_CONSUMER. VIEWER or above; API keys with READ may call it.
   */
  agentActivity: AgentActivity;
  /**
   * The events of one execution: those stored after `afterSequence` (all when
   * omitted), then the live ones, with no gap and no duplicate; it completes
   * after the last event (SUCCEEDED, FAILED or CANCELLED). A client that falls
   * too far behind gets an error coded SLOW_CONSUMER and subscribes again with
   * `afterSequence` set to the last sequence it received. VIEWER or above; API
   * keys with READ may call it.
   */
  agentExecutionEvents: AgentExecutionEvent;
  /** Every status change and sync progress of the active organization's integrations, as it happens. VIEWER or above; API keys with READ may call it. */
  integrationEvents: IntegrationEvent;
};


/** The root of live updates, delivered over WebSocket or server-sent events. */
export type SubscriptionAgentExecutionEventsArgs = {
  afterSequence?: InputMaybe<Scalars['Int']['input']>;
  executionId: Scalars['ID']['input'];
};

/** Input of `switchOrganization`. */
export type SwitchOrganizationInput = {
  /** The global id of one of your organizations, from `me.organizations`. */
  organizationId: Scalars['ID']['input'];
};

/** The result of `switchOrganization`. */
export type SwitchOrganizationPayload = {
  __typename?: 'SwitchOrganizationPayload';
  /** The caller, now acting in the organization switched to. */
  viewer: Viewer;
};

/** Input of `syncIntegration`. */
export type SyncIntegrationInput = {
  /** The connected platform to sync. */
  platform: Platform;
};

/** Result of `syncIntegration`. */
export type SyncIntegrationPayload = {
  __typename?: 'SyncIntegrationPayload';
  /** The integration the run syncs. */
  integration: Integration;
  /** The queued run, or the run already QUEUED or RUNNING. */
  sync: IntegrationSync;
};

/** A page of an integration's sync runs, newest first. */
export type SyncRunConnection = {
  __typename?: 'SyncRunConnection';
  /** The runs of this page with their cursors. */
  edges: Array<SyncRunEdge>;
  /** The runs of this page. */
  nodes: Array<IntegrationSync>;
  /** Where this page starts and ends. */
  pageInfo: PageInfo;
  /** How many runs the integration has kept, over all pages. */
  totalCount: Scalars['Int']['output'];
};

/** One sync run of a page, with its cursor. */
export type SyncRunEdge = {
  __typename?: 'SyncRunEdge';
  /** Pass as `after` to continue after this run. */
  cursor: Scalars['String']['output'];
  /** The run. */
  node: IntegrationSync;
};

/** Where a sync run stands. */
export type SyncStatus =
  /** Stopped with an error; see error. */
  | 'FAILED'
  /** Waiting for a worker. */
  | 'QUEUED'
  /** A worker is pulling data. */
  | 'RUNNING'
  /** Finished; the data is up to date. */
  | 'SUCCEEDED';

/** Input of `updateMemberRole`. */
export type UpdateMemberRoleInput = {
  /** The new role. The last OWNER cannot be demoted. */
  role: Role;
  /** The global id of the member's user (`Member.user.id`). */
  userId: Scalars['ID']['input'];
};

/** The result of `updateMemberRole`. */
export type UpdateMemberRolePayload = {
  __typename?: 'UpdateMemberRolePayload';
  /** The member with the new role. */
  member: Member;
};

/** A person who can sign in to Omnify. */
export type User = Node & {
  __typename?: 'User';
  /** When the user signed up. */
  createdAt: Scalars['DateTime']['output'];
  /** The user's email address, lower-cased. */
  email: Scalars['String']['output'];
  /** The user's global id. */
  id: Scalars['ID']['output'];
  /** The user's name. */
  name: Scalars['String']['output'];
};

/** Who is calling, and in which organization. */
export type Viewer = {
  __typename?: 'Viewer';
  /** The API key the caller authenticated with, if any. */
  apiKey?: Maybe<ApiKey>;
  /** An id for the caller in its active organization, stable while both stay the same; not usable with `node`. */
  id: Scalars['ID']['output'];
  /** Open invitations addressed to your email address, from any organization, newest first; empty for an API key. */
  invitations: InvitationConnection;
  /** Where the caller stands with the legal documents. Partner API keys are never gated. */
  legal: ViewerLegal;
  /** The organization the caller acts in. */
  organization: Organization;
  /** Every organization the caller belongs to, oldest membership first; switch with `switchOrganization`. An API key belongs to its one organization. */
  organizations: OrganizationMembershipConnection;
  /** The caller's role in that organization (an API key acts as ADMIN with READ_WRITE, as VIEWER with READ). */
  role: Role;
  /** The signed-in user; null when the caller is a partner API key. */
  user?: Maybe<User>;
};


/** Who is calling, and in which organization. */
export type ViewerInvitationsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** Who is calling, and in which organization. */
export type ViewerOrganizationsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

/** Where the caller stands with the legal documents. */
export type ViewerLegal = {
  __typename?: 'ViewerLegal';
  /** Everything the caller has accepted, in any organization, newest first: personal acceptances and the organization acceptances the caller signed. Empty for an API key. */
  acceptances: LegalAcceptanceConnection;
  /** The current versions the caller must still accept in the active organization: the terms and privacy policy not yet accepted personally and, for an OWNER, the data processing agreement the organization has not signed. Until then most operations fail with LEGAL_ACCEPTANCE_REQUIRED. */
  pending: Array<LegalDocument>;
  /** True when nothing required is pending. */
  upToDate: Scalars['Boolean']['output'];
};


/** Where the caller stands with the legal documents. */
export type ViewerLegalAcceptancesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

export type SwitchOrganizationMutationVariables = Exact<{
  input: SwitchOrganizationInput;
}>;


export type SwitchOrganizationMutation = { __typename?: 'Mutation', switchOrganization: { __typename?: 'SwitchOrganizationPayload', viewer: { __typename?: 'Viewer', id: string, organization: { __typename?: 'Organization', id: string, name: string } } } };

export type LogOutMutationVariables = Exact<{ [key: string]: never; }>;


export type LogOutMutation = { __typename?: 'Mutation', logOut: { __typename?: 'LogOutPayload', loggedOut: boolean } };

export type AcceptLegalDocumentsMutationVariables = Exact<{
  input: AcceptLegalDocumentsInput;
}>;


export type AcceptLegalDocumentsMutation = { __typename?: 'Mutation', acceptLegalDocuments: { __typename?: 'AcceptLegalDocumentsPayload', legal: { __typename?: 'ViewerLegal', upToDate: boolean, pending: Array<{ __typename?: 'LegalDocument', id: string, kind: LegalDocumentKind, title: string, version: number, required: boolean }> } } };

export type AgentsQueryVariables = Exact<{ [key: string]: never; }>;


export type AgentsQuery = { __typename?: 'Query', agents: Array<{ __typename?: 'Agent', id: string, key: string, name: string, description: string, kind: AgentKind, status: AgentStatus, enabled: boolean, lastExecution?: { __typename?: 'AgentExecution', id: string, status: AgentExecutionStatus, queuedAt: string, finishedAt?: string | null } | null }> };

export type AgentQueryVariables = Exact<{
  id: Scalars['ID']['input'];
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type AgentQuery = { __typename?: 'Query', agent?: { __typename?: 'Agent', id: string, key: string, name: string, description: string, kind: AgentKind, status: AgentStatus, enabled: boolean, parametersSchema: unknown, executions: { __typename?: 'AgentExecutionConnection', totalCount: number, edges: Array<{ __typename?: 'AgentExecutionEdge', cursor: string, node: { __typename?: 'AgentExecution', id: string, status: AgentExecutionStatus, queuedAt: string, startedAt?: string | null, finishedAt?: string | null, error?: string | null, requestedBy?: { __typename?: 'User', id: string, name: string } | null } }>, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null } } } | null };

export type AgentsActivitySubscriptionVariables = Exact<{ [key: string]: never; }>;


export type AgentsActivitySubscription = { __typename?: 'Subscription', agentActivity: { __typename?: 'AgentActivity', status: AgentExecutionStatus, at: string, agent: { __typename?: 'Agent', id: string, status: AgentStatus, lastExecution?: { __typename?: 'AgentExecution', id: string, status: AgentExecutionStatus, queuedAt: string, finishedAt?: string | null } | null }, execution: { __typename?: 'AgentExecution', id: string, status: AgentExecutionStatus } } };

export type RunAgentMutationVariables = Exact<{
  input: RunAgentInput;
}>;


export type RunAgentMutation = { __typename?: 'Mutation', runAgent: { __typename?: 'RunAgentPayload', execution: { __typename?: 'AgentExecution', id: string, status: AgentExecutionStatus, agent: { __typename?: 'Agent', id: string, status: AgentStatus } } } };

export type DashboardQueryVariables = Exact<{
  from: Scalars['Date']['input'];
  to: Scalars['Date']['input'];
}>;


export type DashboardQuery = { __typename?: 'Query', integrations: Array<{ __typename?: 'Integration', id: string, platform: Platform, status: IntegrationStatus, lastSyncedAt?: string | null }>, marketingSummary: { __typename?: 'MarketingSummary', currency: string, revenue: number, adSpend: number, roas: number, orders: number, averageOrderValue: number, emailRevenue: number, previousPeriod: { __typename?: 'MarketingTotals', revenue: number, adSpend: number, roas: number, orders: number, averageOrderValue: number, emailRevenue: number }, daily: Array<{ __typename?: 'MarketingDay', date: string, revenue: number, adSpend: number, roas: number }>, emailRevenueByCampaign: Array<{ __typename?: 'EmailRevenueSource', id: string, kind: EmailRevenueSourceKind, name: string, revenue: number, share: number }>, emailRevenueByFlow: Array<{ __typename?: 'EmailRevenueSource', id: string, kind: EmailRevenueSourceKind, name: string, revenue: number, share: number }> }, pipelineSummary: { __typename?: 'PipelineSummary', openAmount: number, stages: Array<{ __typename?: 'PipelineStage', stage: string, count: number, amount: number }> }, emailCampaigns: { __typename?: 'EmailCampaignConnection', totalCount: number, edges: Array<{ __typename?: 'EmailCampaignEdge', cursor: string, node: { __typename?: 'EmailCampaign', id: string, name: string, status: string, sendTime?: string | null } }>, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null } }, agents: Array<{ __typename?: 'Agent', id: string, name: string, lastExecution?: { __typename?: 'AgentExecution', id: string, status: AgentExecutionStatus, queuedAt: string, finishedAt?: string | null } | null }> };

export type AgentActivitySubscriptionVariables = Exact<{ [key: string]: never; }>;


export type AgentActivitySubscription = { __typename?: 'Subscription', agentActivity: { __typename?: 'AgentActivity', status: AgentExecutionStatus, at: string, agent: { __typename?: 'Agent', id: string, name: string, status: AgentStatus }, execution: { __typename?: 'AgentExecution', id: string, status: AgentExecutionStatus } } };

export type AgentExecutionQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type AgentExecutionQuery = { __typename?: 'Query', agentExecution?: { __typename?: 'AgentExecution', id: string, status: AgentExecutionStatus, parameters: unknown, queuedAt: string, startedAt?: string | null, finishedAt?: string | null, result?: unknown | null, error?: string | null, requestedBy?: { __typename?: 'User', id: string, name: string } | null, agent: { __typename?: 'Agent', id: string, name: string, status: AgentStatus } } | null };

export type AgentExecutionEventsSubscriptionVariables = Exact<{
  executionId: Scalars['ID']['input'];
  afterSequence?: InputMaybe<Scalars['Int']['input']>;
}>;


export type AgentExecutionEventsSubscription = { __typename?: 'Subscription', agentExecutionEvents: { __typename?: 'AgentExecutionEvent', executionId: string, sequence: number, type: AgentExecutionEventType, message: string, data?: unknown | null, at: string } };

export type CancelAgentExecutionMutationVariables = Exact<{
  input: CancelAgentExecutionInput;
}>;


export type CancelAgentExecutionMutation = { __typename?: 'Mutation', cancelAgentExecution: { __typename?: 'CancelAgentExecutionPayload', execution: { __typename?: 'AgentExecution', id: string, status: AgentExecutionStatus } } };

export type IntegrationsQueryVariables = Exact<{ [key: string]: never; }>;


export type IntegrationsQuery = { __typename?: 'Query', integrations: Array<{ __typename?: 'Integration', id: string, platform: Platform, status: IntegrationStatus, demo: boolean, accountLabel?: string | null, connectedAt?: string | null, lastSyncedAt?: string | null, lastError?: string | null, syncs: { __typename?: 'SyncRunConnection', totalCount: number, edges: Array<{ __typename?: 'SyncRunEdge', cursor: string, node: { __typename?: 'IntegrationSync', id: string, status: SyncStatus, startedAt?: string | null, finishedAt?: string | null, recordsWritten: number, error?: string | null } }>, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null } } }> };

export type IntegrationEventsSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type IntegrationEventsSubscription = { __typename?: 'Subscription', integrationEvents: { __typename?: 'IntegrationEvent', id: string, platform: Platform, status: IntegrationStatus, at: string, sync?: { __typename?: 'IntegrationSync', id: string, platform: Platform, status: SyncStatus, startedAt?: string | null, finishedAt?: string | null, recordsWritten: number, error?: string | null } | null } };

export type ConnectIntegrationMutationVariables = Exact<{
  input: ConnectIntegrationInput;
}>;


export type ConnectIntegrationMutation = { __typename?: 'Mutation', connectIntegration: { __typename?: 'ConnectIntegrationPayload', integration: { __typename?: 'Integration', id: string, platform: Platform, status: IntegrationStatus, accountLabel?: string | null, connectedAt?: string | null, lastError?: string | null } } };

export type DisconnectIntegrationMutationVariables = Exact<{
  input: DisconnectIntegrationInput;
}>;


export type DisconnectIntegrationMutation = { __typename?: 'Mutation', disconnectIntegration: { __typename?: 'DisconnectIntegrationPayload', integration: { __typename?: 'Integration', id: string, platform: Platform, status: IntegrationStatus, accountLabel?: string | null, connectedAt?: string | null, lastError?: string | null } } };

export type SyncIntegrationMutationVariables = Exact<{
  input: SyncIntegrationInput;
}>;


export type SyncIntegrationMutation = { __typename?: 'Mutation', syncIntegration: { __typename?: 'SyncIntegrationPayload', sync: { __typename?: 'IntegrationSync', id: string, status: SyncStatus, startedAt?: string | null, finishedAt?: string | null, recordsWritten: number, error?: string | null }, integration: { __typename?: 'Integration', id: string, status: IntegrationStatus } } };

export type LegalDocumentTextQueryVariables = Exact<{ [key: string]: never; }>;


export type LegalDocumentTextQuery = { __typename?: 'Query', legalDocuments: Array<{ __typename?: 'LegalDocument', id: string, kind: LegalDocumentKind, title: string, version: number, body: string, publishedAt: string }> };

export type LogInMutationVariables = Exact<{
  input: LogInInput;
}>;


export type LogInMutation = { __typename?: 'Mutation', logIn: { __typename?: 'AuthPayload', viewer: { __typename?: 'Viewer', user?: { __typename?: 'User', id: string, email: string, name: string } | null } } };

export type MembersQueryVariables = Exact<{
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type MembersQuery = { __typename?: 'Query', me?: { __typename?: 'Viewer', id: string, role: Role, user?: { __typename?: 'User', id: string } | null, organization: { __typename?: 'Organization', id: string, name: string, members: { __typename?: 'MemberConnection', totalCount: number, edges: Array<{ __typename?: 'MemberEdge', cursor: string, node: { __typename?: 'Member', id: string, role: Role, joinedAt: string, user: { __typename?: 'User', id: string, name: string, email: string } } }>, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null } } }, invitations: { __typename?: 'InvitationConnection', totalCount: number, edges: Array<{ __typename?: 'InvitationEdge', cursor: string, node: { __typename?: 'Invitation', id: string, role: Role, expiresAt: string, organization: { __typename?: 'Organization', id: string, name: string } } }>, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null } } } | null };

export type OpenInvitationsQueryVariables = Exact<{ [key: string]: never; }>;


export type OpenInvitationsQuery = { __typename?: 'Query', invitations: { __typename?: 'InvitationConnection', totalCount: number, edges: Array<{ __typename?: 'InvitationEdge', cursor: string, node: { __typename?: 'Invitation', id: string, email: string, role: Role, createdAt: string, expiresAt: string } }>, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null } } };

export type InviteMemberMutationVariables = Exact<{
  input: InviteMemberInput;
}>;


export type InviteMemberMutation = { __typename?: 'Mutation', inviteMember: { __typename?: 'InviteMemberPayload', invitation: { __typename?: 'Invitation', id: string, email: string, role: Role, createdAt: string, expiresAt: string } } };

export type RevokeInvitationMutationVariables = Exact<{
  input: RevokeInvitationInput;
}>;


export type RevokeInvitationMutation = { __typename?: 'Mutation', revokeInvitation: { __typename?: 'RevokeInvitationPayload', invitation: { __typename?: 'Invitation', id: string } } };

export type AcceptInvitationMutationVariables = Exact<{
  input: AcceptInvitationInput;
}>;


export type AcceptInvitationMutation = { __typename?: 'Mutation', acceptInvitation: { __typename?: 'AcceptInvitationPayload', membership: { __typename?: 'OrganizationMembership', id: string, role: Role, organization: { __typename?: 'Organization', id: string, name: string } } } };

export type UpdateMemberRoleMutationVariables = Exact<{
  input: UpdateMemberRoleInput;
}>;


export type UpdateMemberRoleMutation = { __typename?: 'Mutation', updateMemberRole: { __typename?: 'UpdateMemberRolePayload', member: { __typename?: 'Member', id: string, role: Role } } };

export type ApiKeysQueryVariables = Exact<{
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type ApiKeysQuery = { __typename?: 'Query', apiKeys: { __typename?: 'ApiKeyConnection', totalCount: number, edges: Array<{ __typename?: 'ApiKeyEdge', cursor: string, node: { __typename?: 'ApiKey', id: string, name: string, prefix: string, scope: ApiKeyScope, createdAt: string, lastUsedAt?: string | null, revoked: boolean, revokedAt?: string | null, createdBy?: { __typename?: 'User', id: string, name: string } | null } }>, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null } } };

export type CreateApiKeyMutationVariables = Exact<{
  input: CreateApiKeyInput;
}>;


export type CreateApiKeyMutation = { __typename?: 'Mutation', createApiKey: { __typename?: 'CreateApiKeyPayload', secret: string, apiKey: { __typename?: 'ApiKey', id: string, name: string, prefix: string, scope: ApiKeyScope, createdAt: string, lastUsedAt?: string | null, revoked: boolean, revokedAt?: string | null } } };

export type RevokeApiKeyMutationVariables = Exact<{
  input: RevokeApiKeyInput;
}>;


export type RevokeApiKeyMutation = { __typename?: 'Mutation', revokeApiKey: { __typename?: 'RevokeApiKeyPayload', apiKey: { __typename?: 'ApiKey', id: string, revoked: boolean, revokedAt?: string | null } } };

export type ChangePasswordMutationVariables = Exact<{
  input: ChangePasswordInput;
}>;


export type ChangePasswordMutation = { __typename?: 'Mutation', changePassword: { __typename?: 'ChangePasswordPayload', otherSessionsEnded: number } };

export type LegalDocumentsQueryVariables = Exact<{ [key: string]: never; }>;


export type LegalDocumentsQuery = { __typename?: 'Query', legalDocuments: Array<{ __typename?: 'LegalDocument', id: string, kind: LegalDocumentKind, title: string, version: number, required: boolean, publishedAt: string }> };

export type SignUpMutationVariables = Exact<{
  input: SignUpInput;
}>;


export type SignUpMutation = { __typename?: 'Mutation', signUp: { __typename?: 'AuthPayload', viewer: { __typename?: 'Viewer', user?: { __typename?: 'User', id: string, email: string, name: string } | null } } };

export type SessionQueryVariables = Exact<{ [key: string]: never; }>;


export type SessionQuery = { __typename?: 'Query', me?: { __typename?: 'Viewer', user?: { __typename?: 'User', id: string, email: string, name: string } | null, legal: { __typename?: 'ViewerLegal', upToDate: boolean, pending: Array<{ __typename?: 'LegalDocument', id: string, kind: LegalDocumentKind, title: string, version: number, required: boolean }> } } | null };

export type ViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type ViewerQuery = { __typename?: 'Query', me?: { __typename?: 'Viewer', id: string, role: Role, user?: { __typename?: 'User', id: string, email: string, name: string } | null, organization: { __typename?: 'Organization', id: string, name: string, demo: boolean }, organizations: { __typename?: 'OrganizationMembershipConnection', edges: Array<{ __typename?: 'OrganizationMembershipEdge', cursor: string, node: { __typename?: 'OrganizationMembership', id: string, role: Role, organization: { __typename?: 'Organization', id: string, name: string } } }>, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null } } } | null };


export const SwitchOrganizationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SwitchOrganization"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SwitchOrganizationInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"switchOrganization"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"organization"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}}]} as unknown as DocumentNode<SwitchOrganizationMutation, SwitchOrganizationMutationVariables>;
export const LogOutDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"LogOut"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"logOut"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"loggedOut"}}]}}]}}]} as unknown as DocumentNode<LogOutMutation, LogOutMutationVariables>;
export const AcceptLegalDocumentsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AcceptLegalDocuments"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"AcceptLegalDocumentsInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"acceptLegalDocuments"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"legal"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"upToDate"}},{"kind":"Field","name":{"kind":"Name","value":"pending"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"required"}}]}}]}}]}}]}}]} as unknown as DocumentNode<AcceptLegalDocumentsMutation, AcceptLegalDocumentsMutationVariables>;
export const AgentsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Agents"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"agents"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"enabled"}},{"kind":"Field","name":{"kind":"Name","value":"lastExecution"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"queuedAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}}]}}]}}]}}]} as unknown as DocumentNode<AgentsQuery, AgentsQueryVariables>;
export const AgentDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Agent"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"agent"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"enabled"}},{"kind":"Field","name":{"kind":"Name","value":"parametersSchema"}},{"kind":"Field","name":{"kind":"Name","value":"executions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"10"}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"queuedAt"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"requestedBy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"totalCount"}}]}}]}}]}}]} as unknown as DocumentNode<AgentQuery, AgentQueryVariables>;
export const AgentsActivityDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"AgentsActivity"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"agentActivity"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"agent"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"lastExecution"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"queuedAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"execution"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]} as unknown as DocumentNode<AgentsActivitySubscription, AgentsActivitySubscriptionVariables>;
export const RunAgentDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RunAgent"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RunAgentInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"runAgent"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"execution"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"agent"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]}}]} as unknown as DocumentNode<RunAgentMutation, RunAgentMutationVariables>;
export const DashboardDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Dashboard"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Date"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Date"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"integrations"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"platform"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"lastSyncedAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"marketingSummary"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"currency"}},{"kind":"Field","name":{"kind":"Name","value":"revenue"}},{"kind":"Field","name":{"kind":"Name","value":"adSpend"}},{"kind":"Field","name":{"kind":"Name","value":"roas"}},{"kind":"Field","name":{"kind":"Name","value":"orders"}},{"kind":"Field","name":{"kind":"Name","value":"averageOrderValue"}},{"kind":"Field","name":{"kind":"Name","value":"emailRevenue"}},{"kind":"Field","name":{"kind":"Name","value":"previousPeriod"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revenue"}},{"kind":"Field","name":{"kind":"Name","value":"adSpend"}},{"kind":"Field","name":{"kind":"Name","value":"roas"}},{"kind":"Field","name":{"kind":"Name","value":"orders"}},{"kind":"Field","name":{"kind":"Name","value":"averageOrderValue"}},{"kind":"Field","name":{"kind":"Name","value":"emailRevenue"}}]}},{"kind":"Field","name":{"kind":"Name","value":"daily"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"date"}},{"kind":"Field","name":{"kind":"Name","value":"revenue"}},{"kind":"Field","name":{"kind":"Name","value":"adSpend"}},{"kind":"Field","name":{"kind":"Name","value":"roas"}}]}},{"kind":"Field","name":{"kind":"Name","value":"emailRevenueByCampaign"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"5"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"revenue"}},{"kind":"Field","name":{"kind":"Name","value":"share"}}]}},{"kind":"Field","name":{"kind":"Name","value":"emailRevenueByFlow"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"5"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"revenue"}},{"kind":"Field","name":{"kind":"Name","value":"share"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pipelineSummary"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"openAmount"}},{"kind":"Field","name":{"kind":"Name","value":"stages"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"stage"}},{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"emailCampaigns"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"5"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"sendTime"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"totalCount"}}]}},{"kind":"Field","name":{"kind":"Name","value":"agents"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"lastExecution"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"queuedAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}}]}}]}}]}}]} as unknown as DocumentNode<DashboardQuery, DashboardQueryVariables>;
export const AgentActivityDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"AgentActivity"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"agentActivity"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"agent"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"execution"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]} as unknown as DocumentNode<AgentActivitySubscription, AgentActivitySubscriptionVariables>;
export const AgentExecutionDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AgentExecution"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"agentExecution"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"parameters"}},{"kind":"Field","name":{"kind":"Name","value":"queuedAt"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}},{"kind":"Field","name":{"kind":"Name","value":"result"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"requestedBy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"agent"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]} as unknown as DocumentNode<AgentExecutionQuery, AgentExecutionQueryVariables>;
export const AgentExecutionEventsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"AgentExecutionEvents"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"executionId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"afterSequence"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"agentExecutionEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"executionId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"executionId"}}},{"kind":"Argument","name":{"kind":"Name","value":"afterSequence"},"value":{"kind":"Variable","name":{"kind":"Name","value":"afterSequence"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"executionId"}},{"kind":"Field","name":{"kind":"Name","value":"sequence"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"data"}},{"kind":"Field","name":{"kind":"Name","value":"at"}}]}}]}}]} as unknown as DocumentNode<AgentExecutionEventsSubscription, AgentExecutionEventsSubscriptionVariables>;
export const CancelAgentExecutionDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CancelAgentExecution"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CancelAgentExecutionInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cancelAgentExecution"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"execution"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]} as unknown as DocumentNode<CancelAgentExecutionMutation, CancelAgentExecutionMutationVariables>;
export const IntegrationsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Integrations"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"integrations"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"platform"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"demo"}},{"kind":"Field","name":{"kind":"Name","value":"accountLabel"}},{"kind":"Field","name":{"kind":"Name","value":"connectedAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastSyncedAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastError"}},{"kind":"Field","name":{"kind":"Name","value":"syncs"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"3"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}},{"kind":"Field","name":{"kind":"Name","value":"recordsWritten"}},{"kind":"Field","name":{"kind":"Name","value":"error"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"totalCount"}}]}}]}}]}}]} as unknown as DocumentNode<IntegrationsQuery, IntegrationsQueryVariables>;
export const IntegrationEventsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"IntegrationEvents"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"integrationEvents"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"platform"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"sync"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"platform"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}},{"kind":"Field","name":{"kind":"Name","value":"recordsWritten"}},{"kind":"Field","name":{"kind":"Name","value":"error"}}]}}]}}]}}]} as unknown as DocumentNode<IntegrationEventsSubscription, IntegrationEventsSubscriptionVariables>;
export const ConnectIntegrationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConnectIntegration"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ConnectIntegrationInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"connectIntegration"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"integration"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"platform"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"accountLabel"}},{"kind":"Field","name":{"kind":"Name","value":"connectedAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastError"}}]}}]}}]}}]} as unknown as DocumentNode<ConnectIntegrationMutation, ConnectIntegrationMutationVariables>;
export const DisconnectIntegrationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DisconnectIntegration"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DisconnectIntegrationInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"disconnectIntegration"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"integration"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"platform"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"accountLabel"}},{"kind":"Field","name":{"kind":"Name","value":"connectedAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastError"}}]}}]}}]}}]} as unknown as DocumentNode<DisconnectIntegrationMutation, DisconnectIntegrationMutationVariables>;
export const SyncIntegrationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SyncIntegration"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SyncIntegrationInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"syncIntegration"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sync"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}},{"kind":"Field","name":{"kind":"Name","value":"recordsWritten"}},{"kind":"Field","name":{"kind":"Name","value":"error"}}]}},{"kind":"Field","name":{"kind":"Name","value":"integration"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]} as unknown as DocumentNode<SyncIntegrationMutation, SyncIntegrationMutationVariables>;
export const LegalDocumentTextDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"LegalDocumentText"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"legalDocuments"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"body"}},{"kind":"Field","name":{"kind":"Name","value":"publishedAt"}}]}}]}}]} as unknown as DocumentNode<LegalDocumentTextQuery, LegalDocumentTextQueryVariables>;
export const LogInDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"LogIn"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"LogInInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"logIn"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}}]} as unknown as DocumentNode<LogInMutation, LogInMutationVariables>;
export const MembersDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Members"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"organization"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"members"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"50"}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"joinedAt"}},{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"email"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"totalCount"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"invitations"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"organization"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"totalCount"}}]}}]}}]}}]} as unknown as DocumentNode<MembersQuery, MembersQueryVariables>;
export const OpenInvitationsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"OpenInvitations"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"invitations"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"50"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"totalCount"}}]}}]}}]} as unknown as DocumentNode<OpenInvitationsQuery, OpenInvitationsQueryVariables>;
export const InviteMemberDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"InviteMember"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"InviteMemberInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"inviteMember"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"invitation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}}]}}]}}]}}]} as unknown as DocumentNode<InviteMemberMutation, InviteMemberMutationVariables>;
export const RevokeInvitationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RevokeInvitation"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RevokeInvitationInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revokeInvitation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"invitation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}}]} as unknown as DocumentNode<RevokeInvitationMutation, RevokeInvitationMutationVariables>;
export const AcceptInvitationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AcceptInvitation"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"AcceptInvitationInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"acceptInvitation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"membership"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"organization"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}}]} as unknown as DocumentNode<AcceptInvitationMutation, AcceptInvitationMutationVariables>;
export const UpdateMemberRoleDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"UpdateMemberRole"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpdateMemberRoleInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateMemberRole"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"member"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"role"}}]}}]}}]}}]} as unknown as DocumentNode<UpdateMemberRoleMutation, UpdateMemberRoleMutationVariables>;
export const ApiKeysDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ApiKeys"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"apiKeys"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"50"}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"prefix"}},{"kind":"Field","name":{"kind":"Name","value":"scope"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastUsedAt"}},{"kind":"Field","name":{"kind":"Name","value":"revoked"}},{"kind":"Field","name":{"kind":"Name","value":"revokedAt"}},{"kind":"Field","name":{"kind":"Name","value":"createdBy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"totalCount"}}]}}]}}]} as unknown as DocumentNode<ApiKeysQuery, ApiKeysQueryVariables>;
export const CreateApiKeyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateApiKey"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateApiKeyInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createApiKey"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"secret"}},{"kind":"Field","name":{"kind":"Name","value":"apiKey"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"prefix"}},{"kind":"Field","name":{"kind":"Name","value":"scope"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastUsedAt"}},{"kind":"Field","name":{"kind":"Name","value":"revoked"}},{"kind":"Field","name":{"kind":"Name","value":"revokedAt"}}]}}]}}]}}]} as unknown as DocumentNode<CreateApiKeyMutation, CreateApiKeyMutationVariables>;
export const RevokeApiKeyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RevokeApiKey"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RevokeApiKeyInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revokeApiKey"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"apiKey"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"revoked"}},{"kind":"Field","name":{"kind":"Name","value":"revokedAt"}}]}}]}}]}}]} as unknown as DocumentNode<RevokeApiKeyMutation, RevokeApiKeyMutationVariables>;
export const ChangePasswordDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ChangePassword"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ChangePasswordInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"changePassword"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"otherSessionsEnded"}}]}}]}}]} as unknown as DocumentNode<ChangePasswordMutation, ChangePasswordMutationVariables>;
export const LegalDocumentsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"LegalDocuments"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"legalDocuments"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"required"}},{"kind":"Field","name":{"kind":"Name","value":"publishedAt"}}]}}]}}]} as unknown as DocumentNode<LegalDocumentsQuery, LegalDocumentsQueryVariables>;
export const SignUpDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SignUp"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SignUpInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"signUp"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}}]} as unknown as DocumentNode<SignUpMutation, SignUpMutationVariables>;
export const SessionDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Session"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"legal"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"upToDate"}},{"kind":"Field","name":{"kind":"Name","value":"pending"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"required"}}]}}]}}]}}]}}]} as unknown as DocumentNode<SessionQuery, SessionQueryVariables>;
export const ViewerDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"organization"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"demo"}}]}},{"kind":"Field","name":{"kind":"Name","value":"organizations"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"organization"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]}}]} as unknown as DocumentNode<ViewerQuery, ViewerQueryVariables>;