/** One header of a composed message. The name must be a valid field name; the value a single line. */
export type SubmissionHeader = Readonly<{ name: string; value: string }>;

/** A message composed from fields (a MIME message is built from them); addresses may be `Name <address>`. */
export type SubmissionFields = Readonly<{
  from: string;
  to: readonly string[];
  cc: readonly string[];
  bcc: readonly string[];
  subject: string | null;
  text: string | null;
  html: string | null;
  headers: readonly SubmissionHeader[];
  /** The Message-ID header (`<id@domain>`); generated when null. */
  messageId: string | null;
}>;

export type SubmissionInput = Readonly<{
  /** SMTP envelope; null: taken from the content's From, and To, Cc and Bcc. */
  envelope: Readonly<{ from: string; to: readonly string[] }> | null;
  content: Readonly<{ kind: 'raw'; raw: string }> | Readonly<{ kind: 'fields'; fields: SubmissionFields }>;
  /** The API key submitting it; recorded as the actor `api-key:<id>` of every event. */
  keyId: string;
}>;

/** The submission was refused before anything was stored; `field` names the input field at fault. */
export type SubmissionInvalid = Readonly<{ kind: 'invalid'; code: string; field: string; message: string }>;

/** A policy plugin refused the message (as it would have answered over SMTP); nothing was stored. */
export type SubmissionRefusedByPolicy = Readonly<{
  kind: 'policy';
  verdict: 'reject' | 'tempfail';
  stage: string;
  plugin: string | null;
  reply: Readonly<{ code: number; enhancedCode: string | null; text: string }>;
}>;

export type SubmissionAccepted = Readonly<{ kind: 'accepted'; messageId: string; mailFrom: string; rcptTo: readonly string[] }>;

export type SubmissionResult = SubmissionAccepted | SubmissionInvalid | SubmissionRefusedByPolicy;

/**
 * Message submission through the API, implemented by apps/mta: the same checks, policy stages and events as an SMTP
 * submission. `accepted` means the body is stored and MessageAccepted is durably appended (the 250 of SMTP); the
 * other results append nothing. A storage failure throws (the caller may retry); a domain refusal throws `DomainError`.
 */
export interface MessageSubmissions {
  send(input: SubmissionInput): Promise<SubmissionResult>;
}
