"""A generated, realistic contractor company: for the demo, tests and benchmarks."""

from desktop_app.demo.generator import CompanySize, generate_company, seed_demo

__all__ = ["CompanySize", "generate_company", "seed_demo"]
