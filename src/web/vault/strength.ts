/**
 * Passphrase strength with zxcvbn-ts. The vault's Argon2id makes each guess
 * expensive, but a guessable passphrase is still guessable: the page asks for
 * "strong" (score 3) or better. zxcvbn's feedback comes as keys; they map to a
 * handful of translated hints.
 */
import { ZxcvbnFactory, type Score } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';

export const MIN_SCORE: Score = 3;

let factory: ZxcvbnFactory | undefined;

const WARNING_GROUPS: Record<string, string> = {
  topTen: 'common',
  topHundred: 'common',
  common: 'common',
  similarToCommon: 'common',
  pwned: 'common',
  straightRow: 'pattern',
  keyPattern: 'pattern',
  simpleRepeat: 'pattern',
  extendedRepeat: 'pattern',
  sequences: 'pattern',
  recentYears: 'dates',
  dates: 'dates',
  wordByItself: 'words',
  namesByThemselves: 'words',
  commonNames: 'words',
  userInputs: 'personal',
};

/** The message key for a zxcvbn warning key, if it is one we explain. */
export function warningMessageKey(warning: string | null | undefined): string | undefined {
  const group = warning ? WARNING_GROUPS[warning] : undefined;
  return group ? `vault.strength.warn_${group}` : undefined;
}

export interface Strength {
  score: Score;
  /** Whether the page accepts it for a vault. */
  acceptable: boolean;
  warningKey?: string;
}

export function passphraseStrength(passphrase: string, userInputs: string[] = []): Strength {
  factory ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs, useLevenshteinDistance: true });
  const result = factory.check(passphrase, userInputs);
  const warningKey = warningMessageKey(result.feedback.warning);
  return { score: result.score, acceptable: result.score >= MIN_SCORE, ...(warningKey ? { warningKey } : {}) };
}
