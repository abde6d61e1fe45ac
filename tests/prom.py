"""Reading a /metrics exposition in tests: parsed by prometheus-client's own parser, and the
service level derived from the wait histogram as docs/metrics.md says."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString


@dataclass(frozen=True)
class Exposition:
    families: dict[str, tuple[str, list[Sample]]]   # name -> (type, samples)

    @classmethod
    def parse(cls, text: str) -> Exposition:
        return cls({f.name: (f.type, list(f.samples))
                    for f in text_string_to_metric_families(text)})

    def samples(self) -> list[Sample]:
        return [s for _, samples in self.families.values() for s in samples]

    def value(self, name: str, **labels: str) -> float:
        """The sum of the samples called ``name`` whose labels include ``labels``."""
        found = [s.value for s in self.samples()
                 if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]
        if not found:
            raise AssertionError(f"no sample {name} with {labels}")
        return sum(found)

    def service_level(self, queue: str, threshold: float, medium: str | None = None,
                      variant: str = "report") -> float | None:
        """Percent of waits within ``threshold`` (a bucket bound), as docs/metrics.md
        derives it: ``report`` (abandons within the threshold left out, later ones counted
        against), ``ignored`` (answered only), ``against`` (every abandon against),
        ``within_met`` (abandons within the threshold count as met)."""
        sel = {"queue": queue} | ({"medium": medium} if medium else {})
        le = floatToGoString(threshold)
        name = "ccengine_queue_wait_seconds"
        a_le = self.value(f"{name}_bucket", outcome="answered", le=le, **sel)
        a = self.value(f"{name}_count", outcome="answered", **sel)
        b_le = self.value(f"{name}_bucket", outcome="abandoned", le=le, **sel)
        b = self.value(f"{name}_count", outcome="abandoned", **sel)
        met, counted = {"report": (a_le, a + b - b_le), "ignored": (a_le, a),
                        "against": (a_le, a + b), "within_met": (a_le + b_le, a + b)}[variant]
        return 100.0 * met / counted if counted else None
