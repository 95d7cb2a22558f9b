"""drafter: drafts Vietnamese provincial administrative-reform plans (KH-UBND) as ND 30-formatted .docx."""

__version__ = "0.1.0"
