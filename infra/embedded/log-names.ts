import { BadRequestError } from '../../shared/errors.ts';

/** Directory of committed group offsets inside the log directory; no topic may take this name. */
export const GROUPS_DIR = '_groups';

/**
 * Topic names become directory names and group ids file names, so both are held to Kafka's legal
 * topic characters (letters, digits, '.', '_', '-'); '.' and '..' would escape the directory.
 */
const LEGAL = /^[A-Za-z0-9._-]{1,249}$/;

/** Throws BadRequestError unless `topic` is a legal Kafka topic name usable as a directory. */
export function assertTopicName(topic: string): void {
  if (!LEGAL.test(topic) || topic === '.' || topic === '..' || topic === GROUPS_DIR) {
    throw new BadRequestError('topic', `"${topic}" is not a valid topic name: use 1-249 letters, digits, '.', '_' or '-' (not "." , ".." or "${GROUPS_DIR}")`);
  }
}

/** Throws BadRequestError unless `groupId` can name a file. */
export function assertGroupId(groupId: string): void {
  if (!LEGAL.test(groupId) || groupId === '.' || groupId === '..') {
    throw new BadRequestError('groupId', `"${groupId}" is not a valid consumer group id for the embedded log: use 1-249 letters, digits, '.', '_' or '-'`);
  }
}
