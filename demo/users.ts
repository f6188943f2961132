// The demo authorization server's accounts. Passwords are compared in constant time so the
// demo does not teach a timing leak.
import { createHash, timingSafeEqual } from 'node:crypto'

export interface DemoUser {
  id: string
  password: string
  name: string
  givenName: string
  familyName: string
  email: string
}

export const DEMO_USERS: readonly DemoUser[] = Object.freeze([
  {
    id: 'alice',
    password: 'alice-demo',
    name: 'Alice Archer',
    givenName: 'Alice',
    familyName: 'Archer',
    email: 'alice@demo.example',
  },
  {
    id: 'bob',
    password: 'bob-demo',
    name: 'Bob Baker',
    givenName: 'Bob',
    familyName: 'Baker',
    email: 'bob@demo.example',
  },
  {
    id: 'carol',
    password: 'carol-demo',
    name: 'Carol Carter',
    givenName: 'Carol',
    familyName: 'Carter',
    email: 'carol@demo.example',
  },
])

/**
 * The accounts of the second demo provider, "Demo Microsoft": alice and carol at work, with
 * passwords of their own (another provider, another account).
 */
export const DEMO_MICROSOFT_USERS: readonly DemoUser[] = Object.freeze([
  {
    id: 'alice',
    password: 'alice-work',
    name: 'Alice Archer',
    givenName: 'Alice',
    familyName: 'Archer',
    email: 'alice.archer@work.example',
  },
  {
    id: 'carol',
    password: 'carol-work',
    name: 'Carol Carter',
    givenName: 'Carol',
    familyName: 'Carter',
    email: 'carol.carter@work.example',
  },
])

const digest = (value: string) => createHash('sha256').update(value).digest()

export function findDemoUser(
  id: string,
  users: readonly DemoUser[] = DEMO_USERS,
): DemoUser | undefined {
  return users.find((user) => user.id === id)
}

/** The user whose credentials these are, or undefined. Runs the same work either way. */
export function checkDemoCredentials(
  username: string,
  password: string,
  users: readonly DemoUser[] = DEMO_USERS,
): DemoUser | undefined {
  const user = findDemoUser(username.trim().toLowerCase(), users)
  const expected = digest(user?.password ?? 'no such user, compare anyway')
  const matches = timingSafeEqual(expected, digest(password))
  return user && matches ? user : undefined
}
