// Acceptance: the unmodified supertokens-node SDK against the core on SQLite.
import { defineSdkSuite } from './sdk-suite.ts';

defineSdkSuite('sqlite');
