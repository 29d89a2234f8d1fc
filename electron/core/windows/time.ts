/** Rendering UTC instants in a customer's IANA zone and language (luxon; DST-correct). */
import { DateTime } from 'luxon';

/** 'es-ES' → 'es'; anything unusable → 'en'. */
export function baseLanguage(lang: string | null | undefined): string {
  const l = (lang ?? '').slice(0, 2).toLowerCase();
  return /^[a-z]{2}$/.test(l) ? l : 'en';
}

export function inZone(iso: string, zone: string, lang: string): DateTime {
  const dt = DateTime.fromISO(iso, { zone: 'utc' }).setZone(zone).setLocale(lang);
  return dt.isValid ? dt : DateTime.fromISO(iso, { zone: 'utc' }).setLocale(lang);
}

/** e.g. "Sunday, March 29, 2026 at 1:30 AM GMT+1" / "domingo, 29 de marzo de 2026, 1:30 CET". */
export function formatLocal(iso: string, zone: string, lang: string): string {
  return inZone(iso, zone, lang).toLocaleString({ weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });
}

export function formatDate(iso: string, zone: string, lang: string): string {
  return inZone(iso, zone, lang).toLocaleString({ weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });
}

export function formatTime(iso: string, zone: string, lang: string): string {
  return inZone(iso, zone, lang).toLocaleString({ hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });
}

/** "2 h 30 min" style duration (language-neutral units). */
export function formatDuration(startIso: string, endIso: string): string {
  const mins = Math.round((Date.parse(endIso) - Date.parse(startIso)) / 60_000);
  const h = Math.floor(mins / 60);
  const m = mins % 60;
  return h && m ? `${h} h ${m} min` : h ? `${h} h` : `${m} min`;
}
