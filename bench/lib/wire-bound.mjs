// The least time a sample's exchanges can take on a modelled wire: every byte
// each way at the baud rate (10 bits a byte, 8N1), plus one round trip per
// exchange (one command or raw block at a time, as the DUT protocol needs),
// with the host and the DUT taking no time at all. What a row measures above
// this is host, DUT and simulation overhead; what it measures below another
// row's bound no host change could reach.
export function wireBoundSeconds({ tx, rx, exchanges }, baud, rttMs) {
  return ((tx + rx) * 10) / baud + (exchanges * rttMs) / 1000;
}
