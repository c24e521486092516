"""The analysts' exports: the yearly reports of the marts as an Excel workbook."""
