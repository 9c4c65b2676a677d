export * from './dns-types.js';
export { InvalidDomainError } from './domain-name.js';
export { createMailResolver, type MailResolverOptions, type MailResolverSettings } from './mail-resolver.js';
