// Acceptance: the unmodified supertokens-node SDK against the core on PostgreSQL
// (skipped with a reason when PostgreSQL is unreachable, unless CI=true).
import { defineSdkSuite } from './sdk-suite.ts';

defineSdkSuite('postgres');
