"""Tables: assessment schemes, cycles, score lines with frozen evidence, appeals."""
