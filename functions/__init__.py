"""One package per Lambda handler.

Importing a handler is the cold start. The garbage collector is paused from here (the first
thing Lambda's import of any handler runs) until the handler's last line calls
`shared.coldstart.initialized()`: an import builds tens of thousands of objects that all live
as long as the process, and the collector would walk that growing heap several times for
nothing (about 20 ms of every cold start, bench/cold_start.py).
"""

import gc

gc.disable()
