"""Reports: the statistics' charts and the exported workbooks and CSV files, made on the delivery side (never inside an update's transaction)."""
