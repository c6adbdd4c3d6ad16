"""The legislative contests of Pemilu 2024 (DPR, DPD, DPRD provinsi, DPRD kab/kota) from the real
data shipped in service/data: source.py reads it, dapil.py fits the dapil to the region tree,
apportion.py and candidates.py generate what the data lacks, contests.py builds the documents."""
