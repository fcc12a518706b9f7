from production.bootstrap import main

main()
