// The dashboard (#/dashboard, where the console opens): figures and charts of the last 30 or 90
// days from GET /v1/stats/daily, the largest groups and the latest imports. Charts are plain SVG
// (no library); each has its numbers as a table behind a button, for keyboards and screen readers.
import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { get } from "../api.js";
import { dateTime, label, plural, SOURCES } from "../format.js";
import { href, navigate } from "../router.js";
import { ErrorAlert, Loading, PageHeading, useAsync } from "../ui.js";
import { useGroups } from "./customers.js";

// Colours with 3:1 or more against white, told apart by the legend's names too.
const PALETTE = ["#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c", "#0e7490"];
const TYPES = ["meeting_booked", "form_submitted", "chat_started", "conference_joined"];

// Every date from `from` to `to` (UTC), so days with nothing show as zero.
function daysOf(from, to) {
  const out = [];
  for (let d = new Date(`${from}T00:00:00Z`); d <= new Date(`${to}T00:00:00Z`); d = new Date(d.getTime() + 86_400_000)) out.push(d.toISOString().slice(0, 10));
  return out;
}

// points [{date, [keyName], count}] -> rows [{date, values: {key: n}}] over every day.
function byDay(days, points, keyName, keys) {
  const at = Object.fromEntries(days.map((d) => [d, Object.fromEntries(keys.map((k) => [k, 0]))]));
  for (const p of points) if (at[p.date]) at[p.date][keyName ? p[keyName] : "count"] = (at[p.date][keyName ? p[keyName] : "count"] || 0) + p.count;
  return days.map((date) => ({ date, values: at[date] }));
}

const short = (date) => `${Number(date.slice(8, 10))} ${["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][Number(date.slice(5, 7)) - 1]}`;

// A stacked bar per day; `keys` are the series, named by `names`.
function DailyChart({ title, rows, keys, names }) {
  const [table, setTable] = useState(false);
  const W = 640; const H = 180; const pad = 28;
  const totals = rows.map((r) => keys.reduce((s, k) => s + (r.values[k] || 0), 0));
  const max = Math.max(1, ...totals);
  const bw = (W - pad) / rows.length;
  const sum = totals.reduce((a, b) => a + b, 0);
  const peak = rows[totals.indexOf(Math.max(...totals))];
  const summary = `${title}: ${plural(sum, "in all", "in all")} over ${rows.length} days${sum ? `, most on ${short(peak.date)} (${Math.max(...totals)})` : ""}.`;
  const id = title.replace(/\W+/g, "-").toLowerCase();
  return html`<figure class="chart" aria-labelledby=${`${id}-t`}>
    <figcaption id=${`${id}-t`}><strong>${title}</strong> <span class="muted">${sum} in all</span></figcaption>
    ${keys.length > 1 && html`<ul class="legend" aria-hidden="true">${keys.map((k, i) => html`<li><span class="swatch" style=${`background:${PALETTE[i % PALETTE.length]}`}></span>${names[k] || k}</li>`)}</ul>`}
    <svg viewBox=${`0 0 ${W} ${H + 18}`} role="img" aria-label=${summary} preserveAspectRatio="none">
      <line x1=${pad} y1=${H} x2=${W} y2=${H} stroke="#767f8e" />
      <text x="0" y="10" class="axis">${max}</text><text x="0" y=${H} class="axis">0</text>
      ${rows.map((r, i) => {
        let y = H;
        return html`<g>${keys.map((k, j) => {
          const h = ((r.values[k] || 0) / max) * (H - 8);
          y -= h;
          return h > 0 && html`<rect x=${pad + i * bw + 1} y=${y} width=${Math.max(1, bw - 2)} height=${h} fill=${PALETTE[j % PALETTE.length]}><title>${short(r.date)}, ${names[k] || k}: ${r.values[k]}</title></rect>`;
        })}</g>`;
      })}
      ${rows.map((r, i) => (i % Math.ceil(rows.length / 6) === 0) && html`<text x=${pad + i * bw} y=${H + 14} class="axis">${short(r.date)}</text>`)}
    </svg>
    <button type="button" class="ghost small" aria-expanded=${table ? "true" : "false"} onClick=${() => setTable(!table)}>${table ? "Hide" : "Show"} the table: ${title}</button>
    ${table && html`<div class="tablewrap" tabindex="0" role="region" aria-label=${`${title}, table`}><table>
      <caption class="sr-only">${title}</caption>
      <thead><tr><th scope="col">Day</th>${keys.length > 1 && keys.map((k) => html`<th scope="col">${names[k] || k}</th>`)}<th scope="col">${keys.length > 1 ? "All" : "Count"}</th></tr></thead>
      <tbody>${rows.map((r, i) => html`<tr><th scope="row">${r.date}</th>${keys.length > 1 && keys.map((k) => html`<td>${r.values[k] || 0}</td>`)}<td>${totals[i]}</td></tr>`)}</tbody>
    </table></div>`}
  </figure>`;
}

// Horizontal bars of the largest groups, each a link to its group.
function GroupsChart({ groups }) {
  const top = groups.filter((g) => !g.builtin).sort((a, b) => (b.member_count || 0) - (a.member_count || 0)).slice(0, 6);
  const max = Math.max(1, ...top.map((g) => g.member_count || 0));
  return html`<figure class="chart" aria-labelledby="largest-groups-t">
    <figcaption id="largest-groups-t"><strong>Largest groups</strong></figcaption>
    ${top.length ? html`<table class="bars"><caption class="sr-only">Largest groups by members</caption>
      <thead class="sr-only"><tr><th scope="col">Group</th><th scope="col">Members</th></tr></thead>
      <tbody>${top.map((g) => html`<tr><th scope="row"><a href=${`#/groups/${g.id}`}>${g.name}</a></th>
        <td><span class="bar" style=${`width:${Math.round(((g.member_count || 0) / max) * 100)}%`} aria-hidden="true"></span>${g.member_count || 0}</td></tr>`)}</tbody></table>`
      : html`<p class="muted">No groups yet. <a href="#/groups">Create one</a>.</p>`}
  </figure>`;
}

export function DashboardPage({ params }) {
  const days = params.get("days") === "90" ? 90 : 30;
  const stats = useAsync(() => get(`/v1/stats/daily?days=${days}`), [days]);
  const groups = useGroups();
  const d = stats.data;
  const dayList = d ? daysOf(d.from, d.to) : [];
  const sourceNames = Object.fromEntries(SOURCES.map((s) => [s, label(s)]));
  const typeNames = Object.fromEntries(TYPES.map((t) => [t, label(t)]));
  return html`<section class="page dashboard">
    <div class="page-head"><${PageHeading} focusKey="dashboard">Dashboard<//><span class="grow"></span>
      <div role="group" aria-label="Period" class="tabs">
        ${[30, 90].map((n) => html`<button type="button" aria-pressed=${days === n ? "true" : "false"} onClick=${() => navigate(href("/dashboard", { days: n === 30 ? "" : n }))}>Last ${n} days</button>`)}
      </div></div>
    <${ErrorAlert} error=${stats.error} />
    ${!d ? (stats.loading && html`<${Loading} what="Loading the figures" />`) : html`
      <dl class="tiles">
        <div><dt>Customers</dt><dd>${d.totals.live_customers}</dd></div>
        <div><dt>New in ${days} days</dt><dd>${d.totals.created}</dd></div>
        <div><dt>Visitors who registered</dt><dd>${d.totals.registered}</dd></div>
        <div><dt>Interactions</dt><dd>${d.totals.interactions}</dd></div>
      </dl>
      <div class="charts">
        <${DailyChart} title="Customers created per day, by source" rows=${byDay(dayList, d.created, "source", SOURCES)} keys=${SOURCES} names=${sourceNames} />
        <${DailyChart} title="Visitors who became registered" rows=${byDay(dayList, d.registered, null, ["count"])} keys=${["count"]} names=${{ count: "Registered" }} />
        <${DailyChart} title="Interactions per day, by type" rows=${byDay(dayList, d.interactions, "type", TYPES)} keys=${TYPES} names=${typeNames} />
        <${GroupsChart} groups=${groups} />
      </div>
      <h2>Recent imports</h2>
      ${d.recent_imports.length ? html`<div class="tablewrap" tabindex="0" role="region" aria-label="Recent imports"><table>
        <thead><tr><th scope="col">When</th><th scope="col">Rows</th><th scope="col">Created</th><th scope="col">Updated</th><th scope="col">Skipped</th><th scope="col">Failed</th><th scope="col">Mode</th></tr></thead>
        <tbody>${d.recent_imports.map((i) => html`<tr><td><time datetime=${i.at}>${dateTime(i.at)}</time></td><td>${i.rows}</td><td>${i.created}</td><td>${i.updated}</td><td>${i.skipped}</td><td>${i.failed}</td><td>${i.mode}</td></tr>`)}</tbody>
      </table></div>` : html`<p class="muted">No imports yet. <a href="#/import">Import a CSV</a>.</p>`}`}
  </section>`;
}
