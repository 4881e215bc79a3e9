const pad = (n) => String(n).padStart(2, "0");

// "2026-11-25 14:47" in the admin's own time zone; the full instant is in the title.
export function dateTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// "5 min ago", "3 h ago", "yesterday", "12 days ago", then the date: the list's times, with the
// exact one (dateTime) on hover.
export function relativeTime(iso, now = Date.now()) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return iso || "";
  const s = Math.round((now - d.getTime()) / 1000);
  if (s < 0) return dateTime(iso);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 172800) return "yesterday";
  if (s < 30 * 86400) return `${Math.floor(s / 86400)} days ago`;
  return dateTime(iso).slice(0, 10);
}

export const displayName = (c) => c?.name || c?.email || "(no name)";

export const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export const SOURCES = ["admin", "import", "meeting_link", "form", "chat", "conference_room"];
export const KINDS = ["registered", "visitor"];
export const PERMISSIONS = [
  "customers:read", "customers:create", "customers:update", "customers:delete", "customers:force_delete",
  "customers:import", "customers:export", "groups:manage", "keys:manage", "audit:read", "admins:manage",
  "events:read", "webhooks:manage",
];
// The change events a customer's changes produce (GET /v1/events, webhooks).
export const EVENT_TYPES = [
  "customer.created", "customer.updated", "customer.deleted", "customer.restored", "customer.force_deleted",
  "customer.redacted", "customer.merged", "interaction.recorded", "contact.activated", "import.completed",
];
export const ROLES = [
  ["owner", "Owner: every permission"], ["admin", "Admin: all but managing admins"],
  ["editor", "Editor: customers, import, export, groups"], ["viewer", "Viewer: read and export customers"],
  ["auditor", "Auditor: read customers, the audit log and the change events"],
];
export const label = (s) => (s || "").replace(/_/g, " ");
