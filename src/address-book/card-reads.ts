// What the pages read of the merged book: cards (migration 0005). A card is listed at its
// lead contact, so the list walks the contacts' own (person_id, sort_key, id) index as it
// did before cards, skipping the members that stand behind a lead (one probe of
// card_members each), and is keyset paged the same way. A search finds contacts by the
// trigram index of contact_search (migration 0006), whose rows name their card's lead, and
// pages the leads. Every query names the person first.
import type { CountryCode } from 'libphonenumber-js/max'
import type { Database } from '../db/database.ts'
import {
  FULL_COLUMNS,
  type FullRow,
  MAX_LIST_LIMIT,
  matching,
  SUMMARY_COLUMNS,
  type SummaryRow,
  toStored,
  toSummary,
} from './contact-reads.ts'
import type { CardReason, CardSummary, ContactSummary, ContactsStore } from './contacts-store.ts'
import { decodeCursor, encodeCursor, isUuid, type ListPosition } from './list-cursor.ts'
import { searchPatterns } from './normalize.ts'

type Db = Pick<Database, 'query'>

const DEFAULT_BATCH_SIZE = 500

/**
 * A contact that is not behind another's lead: alone, or the lead of its own card. OFFSET 0
 * keeps it one primary-key probe per contact walked: flattened into an anti-join, the
 * planner would read all of card_members for a page of 50 (on a young table's statistics it
 * did, at 3 s a page).
 */
const LISTED = `NOT EXISTS (
  SELECT 1 FROM card_members m WHERE m.contact_id = c.id AND m.card_id <> c.id OFFSET 0)`

/** The number of cards: the contacts (0003's counts) less those standing behind a lead. */
const CARD_TOTAL = `(SELECT COALESCE(sum(contacts), 0) FROM contact_counts WHERE person_id = $1)
  - COALESCE((SELECT merged FROM card_totals WHERE person_id = $1), 0)`

const position = (values: unknown[], after: ListPosition | undefined, alias: string) =>
  after
    ? `AND (${alias}.sort_key, ${alias}.id) > ($${values.push(after.sortKey)}::text COLLATE "C", $${values.push(after.id)}::uuid)`
    : ''

interface MemberSummaryRow extends SummaryRow {
  card_id: string
}

/** The card half of the store's reads (contacts-store.ts documents each). */
export type CardReads = Pick<ContactsStore, 'listCards' | 'counts' | 'card' | 'streamCards'>

function toCard(lead: ContactSummary, members: readonly ContactSummary[]): CardSummary {
  const all = [lead, ...members]
  const first = (pick: (c: ContactSummary) => string | undefined) =>
    all.map(pick).find((v) => v !== undefined)
  return {
    id: lead.id,
    displayName: lead.displayName,
    email: first((c) => c.email),
    phone: first((c) => c.phone),
    organization: first((c) => c.organization),
    connectionIds: [...new Set(all.map((c) => c.connectionId))],
    contacts: all.length,
  }
}

export function createCardReads(deps: {
  db: Db
  defaultPhoneRegion: CountryCode | undefined
}): CardReads {
  const { db, defaultPhoneRegion } = deps

  /** The members (leads excluded) of these leads' cards, by lead. */
  async function membersOf(personId: string, leads: readonly string[]) {
    const byCard = new Map<string, ContactSummary[]>()
    if (leads.length === 0) return byCard
    const { rows } = await db.query<MemberSummaryRow>(
      `SELECT m.card_id, ${SUMMARY_COLUMNS} FROM card_members m
       JOIN contacts c ON c.id = m.contact_id AND c.person_id = $1
       WHERE m.card_id = ANY ($2::uuid[]) AND m.contact_id <> m.card_id
       ORDER BY c.sort_key, c.id`,
      [personId, leads],
    )
    for (const row of rows) {
      const list = byCard.get(row.card_id) ?? []
      list.push(toSummary(row))
      byCard.set(row.card_id, list)
    }
    return byCard
  }

  async function matchCount(personId: string, patterns: readonly string[]): Promise<number> {
    const values: unknown[] = [personId]
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(DISTINCT COALESCE(s.card_id, s.contact_id))::int AS n FROM contact_search s
       WHERE ${matching(values, patterns)}`,
      values,
    )
    return rows[0]?.n ?? 0
  }

  async function cardTotal(personId: string): Promise<number> {
    const { rows } = await db.query<{ n: number }>(`SELECT (${CARD_TOTAL})::int AS n`, [personId])
    return rows[0]?.n ?? 0
  }

  return {
    async listCards(personId, options) {
      const after = options.after ? decodeCursor(options.after) : undefined
      const limit = Math.max(1, Math.min(MAX_LIST_LIMIT, Math.trunc(options.limit) || 1))
      const patterns = options.q ? searchPatterns(options.q, defaultPhoneRegion) : []
      const values: unknown[] = [personId]
      let rows: Array<SummaryRow & { total: number }>
      if (patterns.length === 0) {
        const where = position(values, after, 'c')
        ;({ rows } = await db.query(
          `SELECT ${SUMMARY_COLUMNS}, (${CARD_TOTAL})::int AS total
           FROM contacts c WHERE c.person_id = $1 ${where} AND ${LISTED}
           ORDER BY c.sort_key, c.id LIMIT $${values.push(limit + 1)}`,
          values,
        ))
      } else {
        // As for contacts (contact-reads.ts searchQuery): the matches found and counted in
        // one pass, only the page's leads sorted out of them. Each match's row in
        // contact_search (migration 0006) carries its sort key and its card. A match alone
        // on its card (most are), or one that leads its card, is a lead with the sort key the
        // match already read; only a card none of whose matches is its lead looks the lead
        // up, once a card. Merged people mostly match by the name their lead carries too:
        // looking every merged match's lead up was a fifth of the search.
        const where = matching(values, patterns)
        const from = position(values, after, 'l')
        ;({ rows } = await db.query(
          `WITH matches AS MATERIALIZED (
             SELECT s.contact_id AS id, s.sort_key, s.card_id FROM contact_search s WHERE ${where}
           ),
           leads AS MATERIALIZED (
             SELECT x.id, x.sort_key FROM matches x WHERE x.card_id IS NULL OR x.card_id = x.id
             UNION ALL
             SELECT l.contact_id, l.sort_key
             FROM (SELECT card_id FROM matches WHERE card_id <> id
                   EXCEPT SELECT id FROM matches WHERE card_id = id) x
             JOIN contact_search l ON l.contact_id = x.card_id AND l.person_id = $1
           ),
           page AS (
             SELECT l.id, l.sort_key FROM leads l WHERE true ${from}
             ORDER BY l.sort_key, l.id LIMIT $${values.push(limit + 1)}
           )
           SELECT ${SUMMARY_COLUMNS}, (SELECT count(*) FROM leads)::int AS total
           FROM page JOIN contacts c ON c.id = page.id AND c.person_id = $1
           ORDER BY page.sort_key, page.id`,
          values,
        ))
      }
      const shown = rows.slice(0, limit)
      const members = await membersOf(
        personId,
        shown.map((r) => r.id),
      )
      const last = shown.at(-1)
      // A page past the end has no row to carry the number: only then is it asked again.
      const total =
        rows[0]?.total ??
        (patterns.length === 0 ? await cardTotal(personId) : await matchCount(personId, patterns))
      return {
        cards: shown.map((row) => toCard(toSummary(row), members.get(row.id) ?? [])),
        next:
          rows.length > limit && last
            ? encodeCursor({ sortKey: last.sort_key, id: last.id })
            : undefined,
        count: total,
      }
    },

    async counts(personId) {
      const { rows } = await db.query<{ contacts: number; cards: number }>(
        `SELECT (SELECT COALESCE(sum(contacts), 0) FROM contact_counts WHERE person_id = $1)::int
           AS contacts, (${CARD_TOTAL})::int AS cards`,
        [personId],
      )
      return rows[0] ?? { contacts: 0, cards: 0 }
    },

    async card(personId, contactId) {
      if (!isUuid(contactId)) return undefined
      const { rows } = await db.query<FullRow & { is_lead: boolean; taken_out: boolean }>(
        `WITH lead AS (
           SELECT COALESCE((SELECT card_id FROM card_members WHERE contact_id = $2), $2::uuid) AS id
         )
         SELECT ${FULL_COLUMNS}, c.id = lead.id AS is_lead,
           EXISTS (SELECT 1 FROM card_splits s
                   WHERE s.connection_id = c.connection_id AND s.external_id = c.external_id)
             AS taken_out
         FROM lead, contacts c JOIN connections conn ON conn.id = c.connection_id
         WHERE c.person_id = $1 AND (c.id = lead.id
           OR c.id IN (SELECT contact_id FROM card_members WHERE card_id = lead.id))
         ORDER BY c.id = lead.id DESC, c.sort_key, c.id`,
        [personId, contactId],
      )
      const lead = rows[0]
      if (!lead?.is_lead) return undefined // another person's contact, or none
      const ids = rows.map((r) => r.id)
      const reasons: CardReason[] = []
      if (rows.length > 1) {
        const shared = await db.query<{ kind: 'e' | 'p'; value: string; ids: string[] }>(
          `SELECT k.kind, k.value, array_agg(c.id ORDER BY c.sort_key, c.id) AS ids
           FROM contacts c CROSS JOIN LATERAL contact_key_rows(c.data) k
           WHERE c.person_id = $1 AND c.id = ANY ($2::uuid[]) AND NOT EXISTS (
             SELECT 1 FROM card_splits s
             WHERE s.connection_id = c.connection_id AND s.external_id = c.external_id)
           GROUP BY k.kind, k.value HAVING count(*) > 1 ORDER BY k.kind, k.value`,
          [personId, ids],
        )
        for (const row of shared.rows) {
          reasons.push({
            kind: row.kind === 'e' ? 'email' : 'phone',
            value: row.value,
            contactIds: row.ids,
          })
        }
        const joined = await db.query<{ a: string; b: string }>(
          `SELECT a.id AS a, b.id AS b FROM card_joins j
           JOIN contacts a ON a.connection_id = j.a_connection AND a.external_id = j.a_external
           JOIN contacts b ON b.connection_id = j.b_connection AND b.external_id = j.b_external
           WHERE j.person_id = $1 AND a.person_id = $1 AND b.person_id = $1
             AND a.id = ANY ($2::uuid[]) AND b.id = ANY ($2::uuid[])`,
          [personId, ids],
        )
        for (const row of joined.rows) reasons.push({ kind: 'joined', contactIds: [row.a, row.b] })
      }
      return {
        id: lead.id,
        contacts: rows.map(toStored),
        reasons,
        takenOut: rows.filter((r) => r.taken_out).map((r) => r.id),
      }
    },

    async *streamCards(personId, batchSize = DEFAULT_BATCH_SIZE) {
      // A keyset loop over the leads, as contact-reads.ts stream() does over contacts;
      // each batch's members are read in one more query.
      const size = Math.max(1, Math.min(MAX_LIST_LIMIT, Math.trunc(batchSize) || 1))
      let after: ListPosition | undefined
      for (;;) {
        const values: unknown[] = [personId]
        const where = position(values, after, 'c')
        const { rows } = await db.query<FullRow>(
          `SELECT ${FULL_COLUMNS} FROM contacts c JOIN connections conn ON conn.id = c.connection_id
           WHERE c.person_id = $1 ${where} AND ${LISTED}
           ORDER BY c.sort_key, c.id LIMIT $${values.push(size)}`,
          values,
        )
        if (rows.length === 0) return
        const { rows: members } = await db.query<FullRow & { card_id: string }>(
          `SELECT m.card_id, ${FULL_COLUMNS} FROM card_members m
           JOIN contacts c ON c.id = m.contact_id AND c.person_id = $1
           JOIN connections conn ON conn.id = c.connection_id
           WHERE m.card_id = ANY ($2::uuid[]) AND m.contact_id <> m.card_id
           ORDER BY c.sort_key, c.id`,
          [personId, rows.map((r) => r.id)],
        )
        const byCard = new Map<string, FullRow[]>()
        for (const m of members) byCard.set(m.card_id, [...(byCard.get(m.card_id) ?? []), m])
        yield rows.map((row) => ({
          id: row.id,
          contacts: [row, ...(byCard.get(row.id) ?? [])].map(toStored),
          reasons: [],
          takenOut: [],
        }))
        const last = rows.at(-1)
        if (!last || rows.length < size) return
        after = { sortKey: last.sort_key, id: last.id }
      }
    },
  }
}
