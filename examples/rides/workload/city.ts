/**
 * The city the drivers drive in: a box of latitude and longitude cut into a grid of zones
 * (`z-<row>-<col>`). Positions are integer micro-degrees, so a ping's coordinates print with at
 * most six decimals.
 */
export class City {
  /** South-west corner and size, in micro-degrees. */
  readonly south = 52_400_000;
  readonly west = 13_200_000;
  readonly height = 200_000;
  readonly width = 400_000;
  readonly rows: number;
  readonly cols: number;

  /** A grid of about `zones` zones (a square number of them, at least one). */
  constructor(zones: number) {
    const side = Math.max(1, Math.round(Math.sqrt(zones)));
    this.rows = side;
    this.cols = side;
  }

  /** The zone a position is in. */
  zoneOf(lat: number, lon: number): string {
    const row = Math.min(this.rows - 1, Math.floor(((lat - this.south) * this.rows) / this.height));
    const col = Math.min(this.cols - 1, Math.floor(((lon - this.west) * this.cols) / this.width));
    return `z-${row}-${col}`;
  }
}
