// The app's main journey against the typed client generated from ../openapi.json
// (openapi-typescript → generated/api.d.ts, called through openapi-fetch).
// Compiled with `tsc --noEmit --strict` by scripts/contract_clients.sh: every value the
// app reads goes through `read`, which does not compile when its type is `any` or `unknown`.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/api";

type IsAny<T> = 0 extends 1 & T ? true : false;
type IsUnknown<T> = IsAny<T> extends true ? false : unknown extends T ? true : false;
type Known<T> = IsAny<T> extends true ? ["typed as any"] : IsUnknown<T> extends true ? ["typed as unknown"] : [];

/** The value itself; a second argument is demanded (a compile error) if its type is any/unknown. */
function read<T>(value: T, ..._typed: Known<T>): T {
  return value;
}

type Money = components["schemas"]["Money"];

function euros(money: Money | undefined): string {
  if (money === undefined) return "-";
  const amount: number = read(money.amount);
  const currency: "EUR" | string = read(money.currency);
  return `${(amount / 100).toFixed(2)} ${currency}`;
}

export async function journey(baseUrl: string, card: string, pin: string): Promise<string[]> {
  const log: string[] = [];
  const api = createClient<paths>({ baseUrl });

  // 1. Sign in with card and PIN.
  const signIn = await api.POST("/v1/auth/patron/card", {
    body: { card_number: card, pin, device_name: "journey" },
  });
  if (!signIn.data) throw new Error(`sign-in refused: ${read(signIn.error?.error.code)}`);
  const token: string = read(signIn.data.access_token);
  const authed = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });

  // 2. The balance.
  const wallet = await authed.GET("/v1/wallet");
  if (!wallet.data) throw new Error("no balance");
  log.push(`balance ${euros(read(wallet.data.balance))}, available ${euros(read(wallet.data.available))}`);

  // 3. Pay the outstanding fees.
  const fees = await authed.GET("/v1/fees", { params: { query: { status: "outstanding" } } });
  const outstanding = read(fees.data?.data) ?? [];
  const feeIds: string[] = outstanding.map((fee) => read(fee.id) ?? "").filter((id) => id !== "");
  if (feeIds.length > 0) {
    const paid = await authed.POST("/v1/fees/payments", {
      params: { header: { "Idempotency-Key": crypto.randomUUID() } },
      body: { fee_ids: feeIds },
    });
    if (paid.data) {
      log.push(`paid ${euros(read(paid.data.amount))}, balance now ${euros(read(paid.data.balance))}`);
    } else {
      const shortfall: Money | undefined = read(paid.error?.error.shortfall);
      log.push(`fees refused: ${read(paid.error?.error.code)} (short by ${euros(shortfall)})`);
    }
  }

  // 4. Buy a ticket for the first date on sale.
  const dates = await authed.GET("/v1/events/occurrences", { params: { query: { available_only: true } } });
  const date = read(dates.data?.data)?.[0];
  if (date?.id && date.event?.id) {
    const event = await authed.GET("/v1/events/{event_id}", { params: { path: { event_id: date.event.id } } });
    const ticketType = read(event.data?.ticket_types)?.[0];
    const startsAt: string | undefined = read(date.starts_at);
    if (ticketType?.id) {
      const bought = await authed.POST("/v1/events/occurrences/{occurrence_id}/orders", {
        params: { path: { occurrence_id: date.id }, header: { "Idempotency-Key": crypto.randomUUID() } },
        body: { items: [{ ticket_type: ticketType.id, quantity: 1 }] },
      });
      const order = read(bought.data?.order);
      const qr: string | null | undefined = read(order?.tickets?.[0]?.qr_code);
      log.push(`order ${read(order?.status)} for ${startsAt}: ${euros(read(order?.total))}, QR ${qr ? "ready" : "none"}`);
    }
  }

  // 5. The notifications.
  const inbox = await authed.GET("/v1/notifications");
  for (const note of read(inbox.data?.data) ?? []) {
    const title: string = read(note.title);
    const when: string = read(note.created_at);
    const unread: boolean = read(note.read_at) === null;
    log.push(`${unread ? "*" : " "} ${when} ${title}`);
  }
  return log;
}
