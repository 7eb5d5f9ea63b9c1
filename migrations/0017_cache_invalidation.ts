import { sql, type Kysely } from 'kysely';

/**
 * Cache invalidation through the database (src/db/notify.ts): every change that makes a
 * node's cached copy wrong sends the row's key on the `wathiqa_cache` channel, from the
 * writing transaction (delivered at commit, dropped on rollback), whatever wrote it: the
 * oidc-provider adapter, a service's direct SQL, the CLI, another node. Row triggers with
 * a WHEN clause, so inserts and the kinds nobody caches cost no function call. Expired rows
 * are skipped (caches check expiry themselves), so the cleanup sweep notifies nothing.
 * Keys: `at:<digest>` an access token, `g:<id>` a grant and its release, `a:<id>` an
 * account, `c:<id>` a client.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // IF branches, not one CASE: plpgsql resolves a branch's fields (old.client_id) only when it runs.
  await sql`create function wathiqa_cache_notify() returns trigger language plpgsql as $$
    begin
      if tg_table_name = 'oidc_payloads' then
        perform pg_notify('wathiqa_cache', case when old.kind = 'Grant' then 'g:' else 'at:' end || old.id);
      elsif tg_table_name = 'releases' then
        perform pg_notify('wathiqa_cache', 'g:' || old.grant_id);
      elsif tg_table_name = 'accounts' then
        perform pg_notify('wathiqa_cache', 'a:' || old.id);
      else
        perform pg_notify('wathiqa_cache', 'c:' || old.client_id);
      end if;
      return null;
    end $$`.execute(db);
  for (const event of ['update', 'delete']) {
    await sql
      .raw(
        `create trigger cache_notify_${event} after ${event} on oidc_payloads for each row
        when (old.kind in ('AccessToken', 'Grant') and (old.expires_at is null or old.expires_at > now()))
        execute function wathiqa_cache_notify()`,
      )
      .execute(db);
  }
  for (const table of ['releases', 'accounts', 'clients']) {
    await sql.raw(`create trigger cache_notify after update or delete on ${table} for each row execute function wathiqa_cache_notify()`).execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const event of ['update', 'delete']) await sql.raw(`drop trigger cache_notify_${event} on oidc_payloads`).execute(db);
  for (const table of ['releases', 'accounts', 'clients']) await sql.raw(`drop trigger cache_notify on ${table}`).execute(db);
  await sql`drop function wathiqa_cache_notify()`.execute(db);
}
