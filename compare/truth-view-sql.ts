/**
 * The reference views as plain SQL over `truth_events` (valid, deduplicated events with columns
 * seq, event_type, user_id, product_id, price_cents, quantity, event_time), written from the
 * definitions alone: this is the oracle the modes are checked against, so it deliberately shares
 * no code with the transform's SQL (paneStartSql, sessionNumberSql, measureSql).
 * Every query returns key, start, end and one column per measure, named as the view's measures.
 *
 * Event times are epoch ms after 2000 (the validator's floor), so they are positive and `%`
 * (which truncates towards zero in DuckDB) is a floor.
 */

/** product_activity: per product, tumbling windows [start, start + size). */
export function productActivitySql(sizeMs: number): string {
  return `
SELECT product_id AS key,
       event_time - event_time % ${sizeMs} AS start,
       event_time - event_time % ${sizeMs} + ${sizeMs} AS "end",
       count(*) FILTER (WHERE event_type = 'page_view') AS views,
       count(*) FILTER (WHERE event_type = 'add_to_cart') AS carts,
       count(*) FILTER (WHERE event_type = 'purchase') AS purchases,
       coalesce(sum(price_cents * quantity) FILTER (WHERE event_type = 'purchase'), 0) AS revenue_cents
FROM truth_events
GROUP BY ALL`;
}

/**
 * revenue: one global key, windows of `size` starting at every multiple of `slide`. Straight from
 * the definition: list every window start that can hold a purchase (the multiples of `slide` in
 * (t - size, t] of some purchase t: a list that follows the purchases, not the span from the first
 * to the last, which one purchase dated 2000 would make 26 years of minutes), join each purchase
 * to every window whose [start, start + size) contains it.
 */
export function revenueSql(globalKey: string, sizeMs: number, slideMs: number): string {
  return `
WITH purchases AS (
  SELECT event_time, price_cents * quantity AS amount FROM truth_events WHERE event_type = 'purchase'
),
starts AS (
  SELECT DISTINCT unnest(generate_series(event_time - event_time % ${slideMs} - ${sizeMs - slideMs}, event_time, ${slideMs})) AS start
  FROM purchases
)
SELECT '${globalKey.replaceAll("'", "''")}' AS key,
       s.start AS start,
       s.start + ${sizeMs} AS "end",
       sum(p.amount) AS revenue_cents,
       count(*) AS orders
FROM starts s JOIN purchases p ON p.event_time >= s.start AND p.event_time < s.start + ${sizeMs}
GROUP BY s.start`;
}

/**
 * user_sessions: per user, consecutive events (by time) less than `gap` apart are one session;
 * a session runs from its first event to its last event plus the gap.
 */
export function userSessionsSql(gapMs: number): string {
  // Ties in event time are ordered by seq so that lag() and the running sum see one total order;
  // with ties left unordered the two window passes could disagree about which row starts a session.
  return `
WITH ordered AS (
  SELECT *, lag(event_time) OVER (PARTITION BY user_id ORDER BY event_time, seq) AS previous_time
  FROM truth_events
),
numbered AS (
  SELECT *, sum(CASE WHEN previous_time IS NULL OR event_time - previous_time >= ${gapMs} THEN 1 ELSE 0 END)
              OVER (PARTITION BY user_id ORDER BY event_time, seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS session_no
  FROM ordered
)
SELECT user_id AS key,
       min(event_time) AS start,
       max(event_time) + ${gapMs} AS "end",
       count(*) AS events,
       count(*) FILTER (WHERE event_type = 'purchase') AS purchases,
       coalesce(sum(price_cents * quantity) FILTER (WHERE event_type = 'purchase'), 0) AS revenue_cents,
       min(event_time) AS first_event_time,
       max(event_time) AS last_event_time
FROM numbered
GROUP BY user_id, session_no`;
}
