"""Read a past, signed provincial plan (.docx) back into a typed record (`read.read_plan`), so that last
year's plan can become the province's layer."""
