"""zzcbec-docs: checks and documents for Zhengzhou's cross-border e-commerce awards.

《郑州市关于加快推进跨境电商发展的若干措施》: bundle → validation → rules → decisions → documents.
"""

__version__ = "0.1.0"
