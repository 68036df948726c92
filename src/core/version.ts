// Kept in step with package.json by a unit test; named in every AWS user agent.
export const VERSION = '0.1.0';
export const USER_AGENT = `golden-ami-actions/${VERSION}`;
