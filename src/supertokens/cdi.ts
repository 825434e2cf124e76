/**
 * @module supertokens/cdi — Core Driver Interface versions: which ones this core speaks, and the
 * version-dependent shapes they select. [pure]
 *
 * Every SDK sends `cdi-version: X.Y` on each request, X.Y being the newest version both it and
 * `/apiversion` list (supertokens-node 14 → 2.21, 15 → 3.0, 16 → 4.0, 17/18 → 5.0, 19/20 → 5.1,
 * 21 → 5.2, 22/23 → 5.3, 24 → 5.4). Routes read the request's version through `CdiVersion`
 * wherever the Java core answers differently; each difference is listed, with the version that
 * introduced it, in docs/supertokens.md ("CDI versions").
 */

/** Every CDI version this core implements, oldest first (what `GET /apiversion` lists). */
export const CDI_VERSIONS: readonly string[] = ['2.21', '3.0', '3.1', '4.0', '5.0', '5.1', '5.2', '5.3', '5.4'];

/** The newest version: what a caller without a (public-path) version is answered as. */
export const LATEST_CDI_VERSION = CDI_VERSIONS[CDI_VERSIONS.length - 1]!;

/** The 400 body for a version outside the list (it names the supported range). */
export function unsupportedCdiVersionMessage(version: string): string {
  return `cdi-version ${version.slice(0, 20)} not supported; this core supports ${CDI_VERSIONS[0]} to ${LATEST_CDI_VERSION} (${CDI_VERSIONS.join(', ')})`;
}

/** A parsed `cdi-version`, compared numerically (3.10 > 3.9). */
export class CdiVersion {
  readonly text: string;
  readonly major: number;
  readonly minor: number;

  private constructor(text: string, major: number, minor: number) {
    this.text = text;
    this.major = major;
    this.minor = minor;
  }

  /** The version if this core implements it, else undefined. */
  static parse(text: string): CdiVersion | undefined {
    if (!CDI_VERSIONS.includes(text)) return undefined;
    const [major, minor] = text.split('.').map((part) => Number.parseInt(part, 10));
    return new CdiVersion(text, major!, minor!);
  }

  static latest(): CdiVersion {
    return CdiVersion.parse(LATEST_CDI_VERSION)!;
  }

  /** True when this version is `other` or newer. */
  atLeast(other: string): boolean {
    const [major, minor] = other.split('.').map((part) => Number.parseInt(part, 10));
    return this.major > major! || (this.major === major! && this.minor >= minor!);
  }

  /**
   * The access-token version the Java core mints for this CDI (`AccessToken.getAccessTokenVersionForCDI`):
   * v3 for 2.21 (kid, claims at the top level), v4 from 3.0 (`tId`), v5 from 4.0 (`rsub`, with
   * account linking).
   */
  get accessTokenVersion(): 3 | 4 | 5 {
    if (this.atLeast('4.0')) return 5;
    if (this.atLeast('3.0')) return 4;
    return 3;
  }

  /** CDI 4.0 brought account linking: the `User` object with `loginMethods`, and `recipeUserId`. */
  get hasAccountLinking(): boolean {
    return this.atLeast('4.0');
  }

  /** CDI 3.0 brought multitenancy: `tenantIds` on users, `tenantId` on sessions. */
  get hasMultitenancy(): boolean {
    return this.atLeast('3.0');
  }
}
