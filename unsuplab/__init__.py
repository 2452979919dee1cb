"""unsuplab: unsupervised deep learning with Keras 3, as a course.

Modules: ``datasets`` (every course data set by name), ``config`` (fast mode),
``models`` (autoencoder builders), ``plots``, ``checks`` (exercise feedback),
``lessontool`` (solutions/ -> lessons/).
"""

__version__ = "0.1.0"
