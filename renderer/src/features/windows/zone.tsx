import { useCallback, useState } from 'react';
import { DateTime } from 'luxon';
import { COMMON_ZONES, isValidZone, systemZone } from './time.js';

export const ZONE_KEY = 'puesta:windows:zone';

/** The zone the operator reads times in: a stored choice, else the machine's. */
export function operatorZone(): string {
  try {
    const z = window.localStorage.getItem(ZONE_KEY);
    if (z && DateTime.local().setZone(z).isValid) return z;
  } catch {
    /* storage disabled */
  }
  return DateTime.local().zoneName ?? 'UTC';
}


/** The operator's zone (machine zone unless chosen), kept in localStorage. */
export function useOperatorZone(): [string, (z: string) => void] {
  const [zone, setZoneState] = useState(operatorZone);
  const setZone = useCallback((z: string) => {
    if (!isValidZone(z)) return;
    try {
      if (z === systemZone()) window.localStorage.removeItem(ZONE_KEY);
      else window.localStorage.setItem(ZONE_KEY, z);
    } catch {
      /* storage disabled: the choice lasts for this screen */
    }
    setZoneState(z);
  }, []);
  return [zone, setZone];
}

export function ZonePicker({ zone, onChange }: { zone: string; onChange: (z: string) => void }) {
  const sys = systemZone();
  const zones = Array.from(new Set([sys, zone, ...COMMON_ZONES]));
  return (
    <label className="zone-picker">
      <span className="muted small">Your zone</span>
      <select value={zone} onChange={(e) => onChange(e.target.value)} aria-label="Your time zone" data-testid="zone-picker">
        {zones.map((z) => (
          <option key={z} value={z}>
            {z}
            {z === sys ? ' (this computer)' : ''}
          </option>
        ))}
      </select>
    </label>
  );
}
